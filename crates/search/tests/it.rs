//! The index on a real folder: Chinese search, facets, filters, the applied change number across reopening,
//! and query text that is not valid syntax.

use shuyuan_search::{CatalogIndex, Doc, SearchQuery};

fn doc(code: &str, name: &str, provider: i64, share: &str, open: &str, at: i64) -> Doc {
    Doc {
        code: code.into(),
        name: name.into(),
        summary: format!("{name}，由部门{provider}提供"),
        items: "公民身份号码 zjhm 姓名 xm".into(),
        other: format!("业务系统{provider}"),
        provider_id: provider,
        region_code: if provider == 3 { "230502".into() } else { "230500".into() },
        industry: "公共管理".into(),
        share_attr: share.into(),
        open_attr: open.into(),
        format: "table".into(),
        security_level: "l2".into(),
        published_at_us: at,
        priority: false,
    }
}

fn query(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), limit: 20, ..Default::default() }
}

#[test]
fn chinese_words_find_entries_with_facets_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let index = CatalogIndex::open(dir.path()).unwrap();
    assert_eq!(index.applied_seq().unwrap(), None, "a new index must be built");
    index
        .apply(
            &[
                doc("A-1", "户籍人口基本信息", 1, "conditional", "none", 30),
                doc("A-2", "婚姻登记信息", 2, "conditional", "none", 20),
                doc("A-3", "企业登记信息", 3, "unconditional", "unconditional", 10),
                doc("A-4", "医疗机构信息", 3, "unconditional", "conditional", 40),
            ],
            &[],
            7,
        )
        .unwrap();
    let hits = index.search(&query("人口信息")).unwrap();
    assert_eq!(hits.codes, ["A-1"], "both words must match");
    let hits = index.search(&query("登记")).unwrap();
    assert_eq!(hits.total, 2);
    let share: Vec<_> = hits.facets["share_attr"].iter().map(|(v, n)| (v.as_str(), *n)).collect();
    assert_eq!(share, [("conditional", 1), ("unconditional", 1)]);

    let all = index.search(&query("")).unwrap();
    assert_eq!(all.codes, ["A-4", "A-1", "A-2", "A-3"], "no words: newest first");
    assert_eq!(all.facets["provider"][0], ("3".to_string(), 2));

    let filtered = index.search(&SearchQuery { filters: vec![("provider".into(), "3".into())], ..query("信息") }).unwrap();
    assert_eq!(filtered.total, 2);
    let open = index.search(&SearchQuery { open_only: true, ..query("") }).unwrap();
    assert_eq!(open.codes, ["A-4", "A-3"]);
    let paged = index.search(&SearchQuery { limit: 2, offset: 2, ..query("") }).unwrap();
    assert_eq!((paged.codes.len(), paged.total), (2, 4));

    // Replacing and removing.
    index.apply(&[doc("A-2", "婚姻状况信息", 2, "none", "none", 20)], &["A-1".into()], 9).unwrap();
    assert!(index.search(&query("户籍")).unwrap().codes.is_empty());
    assert_eq!(index.search(&query("婚姻状况")).unwrap().codes, ["A-2"]);
    assert_eq!(index.len(), 3);
    drop(index);

    let reopened = CatalogIndex::open(dir.path()).unwrap();
    assert_eq!(reopened.applied_seq().unwrap(), Some(9), "the last applied change survives a restart");
    assert_eq!(reopened.len(), 3);
}

#[test]
fn query_text_that_is_not_syntax_is_searched_as_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = CatalogIndex::open(dir.path()).unwrap();
    index.apply(&[doc("B-1", "企业登记信息", 1, "unconditional", "none", 1)], &[], 1).unwrap();
    for hostile in ["企业 AND (", "\"unclosed", "name:", "*:*", "((((", "' OR 1=1 --", "\u{0}", &"很长".repeat(5000)] {
        assert!(index.search(&query(hostile)).is_ok(), "{hostile:?}");
    }
    assert_eq!(index.search(&query("（企业）")).unwrap().codes, ["B-1"], "punctuation is not a word");
    assert!(index.search(&query("，。！")).unwrap().codes.is_empty());
}
