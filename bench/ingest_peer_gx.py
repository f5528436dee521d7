"""The same rules as `shuyuan ingest` applies to the demo population, through Great Expectations (PyPI, 1.x) on a
pandas DataFrame: the citizen ID not null, matching the GB 11643 pattern and unique; the name not null; the phone
pattern. Like frictionless it has no check-character or birth-date rule. Usage:
python3 bench/ingest_peer_gx.py people.csv"""
import sys

import great_expectations as gx
import pandas as pd

context = gx.get_context(mode="ephemeral")
batch_definition = context.data_sources.add_pandas("bench").add_dataframe_asset("people").add_batch_definition_whole_dataframe("all")
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, na_values=[""])
batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
suite = context.suites.add(gx.ExpectationSuite(name="people"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="gmsfhm"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column="gmsfhm", regex=r"^[0-9]{17}[0-9X]$"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="gmsfhm"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="xm"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column="lxdh", regex=r"^1[3-9][0-9]{9}$"))
result = batch.validate(suite)
print("valid" if result.success else "invalid")
