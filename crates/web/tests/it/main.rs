//! The web layer's tests against a real server on 127.0.0.1, each run on a fresh SQLite file and on a fresh
//! PostgreSQL database (when `SHUYUAN_TEST_POSTGRES_URL` is set; reported as ignored otherwise), and a real
//! headless Chromium for the console.

mod aggregation;
mod anomaly;
mod bad_input;
mod basedb;
mod browser;
mod catalog;
mod channels;
mod common;
mod corrections;
mod delivery;
mod disputes;
mod matrix;
mod openapi;
mod opening;
mod projects;
mod push;
mod sharing;
mod sources;
mod supervision;
mod sync;

use std::future::Future;
use std::pin::Pin;

use common::TestApp;
use libtest_mimic::{Arguments, Trial};
use store::testing::TestBackend;

type Case = fn(TestApp) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! cases {
    ($($path:path),* $(,)?) => {
        vec![$((stringify!($path), (|app| Box::pin($path(app))) as Case)),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let cases: Vec<(&str, Case)> = cases![
        bad_input::malformed_bodies_queries_and_paths_are_4xx_with_the_error_body,
        bad_input::sys_16c_bad_credit_codes_are_refused_and_good_ones_registered,
        bad_input::bad_tokens_are_401_and_revoked_tokens_stop_working,
        bad_input::fs_42b_role_assignment_joining_two_duties_is_refused,
        bad_input::login_is_rate_limited_after_repeated_failures,
        bad_input::audit_export_and_verify_for_the_auditor,
        bad_input::the_audit_page_refuses_a_date_filter_it_cannot_read,
        bad_input::calendar_deadline_follows_the_profile_and_the_authority_loads_2027,
        bad_input::calendar_loaded_on_one_node_reaches_the_others,
        bad_input::the_calendar_page_says_what_to_fix_in_a_bad_date_or_day_count,
        bad_input::a_disabled_account_is_signed_out_and_cannot_sign_in,
        matrix::authorization_matrix_covers_every_route,
        disputes::sys_29a_sys_29b_a_dispute_is_coordinated_by_the_city_and_referred_to_the_government,
        disputes::sys_29a_a_dispute_within_a_district_is_coordinated_by_the_district,
        disputes::fs_26c_a_committee_decision_grants_compare_only_data,
        disputes::fs_27_a_district_application_goes_through_its_authority_then_the_city,
        disputes::sys_34a_sys_34b_data_from_outside_the_city_goes_up_through_the_authorities,
        disputes::yz_15c_a_refused_application_is_escalated_to_the_demand_list,
        disputes::disputes_bad_input_is_refused_and_stores_nothing,
        push::cs_21c_data_push_sends_each_new_versions_changes_signed_and_retried,
        anomaly::sys_31a_yz_27d_anomalous_use_raises_an_alert_and_suspends_the_token,
        corrections::ls_13b_ls_13c_ls_13d_a_doubted_record_is_served_under_verification_until_the_provider_resolves_it,
        corrections::corrections_bad_input_is_refused_and_stores_nothing,
        corrections::ls_16f_ls_28a_sys_27c_sys_28d_the_evaluation_counts_answers_and_corrections_on_time,
        corrections::sys_28a_a_correction_rule_names_the_evidence_a_request_brings,
        corrections::sys_28b_a_subject_asks_to_verify_their_own_data_only,
        corrections::fs_08e_quality_feedback_is_routed_to_the_provider_and_becomes_recheck_requests,
        corrections::fs_30b_fs_30c_a_recheck_request_is_verified_within_ten_working_days,
        push::cs_21c_a_push_that_keeps_failing_stops_the_subscription_and_alerts,
        catalog::sys_12a_sys_12f_submission_names_every_missing_field,
        catalog::sys_12c_a_district_entry_is_reviewed_by_its_district_authority,
        catalog::sys_12d_the_service_center_checks_and_the_city_publishes,
        catalog::ls_9b_only_the_authority_approves_and_a_return_needs_reasons,
        catalog::ls_9c_the_published_revision_stays_until_the_new_one_is_approved,
        catalog::sys_25b_sys_25c_restrictive_attributes_cite_a_basis_and_conditions,
        catalog::sys_21_sys_25c_unstated_conditions_are_treated_as_unconditional,
        catalog::sys_26_a_share_downgrade_waits_for_the_authority,
        catalog::sys_25d_sys_25e_leaving_not_shared_needs_evidence_and_upgrades_apply_at_once,
        catalog::sys_36d_sys_37a_the_open_attribute_is_stated_and_not_opened_says_why,
        catalog::sys_37b_an_open_downgrade_waits_for_review,
        catalog::ls_9d_sys_12b_district_entries_form_a_supplementary_catalog,
        catalog::ls_9e_the_open_catalog_is_public,
        catalog::ls_18a_yz_14a_cs_22a_the_share_attribute_is_one_of_three,
        catalog::cs_21a_yz_13_ls_16a_the_report_shows_each_departments_entries_not_shared,
        catalog::fs_14a_conditional_sharing_states_executable_conditions,
        catalog::fs_12d_fs_13a_fs_15a_attributes_come_with_their_operations,
        catalog::fs_13d_sys_24_entries_not_shared_are_visible_as_existing,
        catalog::yz_7b_nine_fields_are_required,
        catalog::yz_14b_restricted_sharing_states_a_reason,
        catalog::yz_14c_not_shared_rests_on_a_legal_instrument,
        catalog::cs_16a_the_guide_fields_are_required,
        catalog::cs_16b_information_and_data_catalogs_are_both_kept,
        catalog::fs_17a_removing_an_entry_needs_a_reason_kept_in_the_audit_log,
        catalog::fs_18a_ls_9a_the_authoritys_schema_applies_to_the_next_submission,
        catalog::catalog_search_answers_items_total_and_facets,
        catalog::sys_13b_review_is_due_two_working_days_after_receipt,
        catalog::sys_13a_a_catalog_update_is_due_ten_working_days_after_a_change,
        catalog::cs_16c_an_update_is_due_fifteen_working_days_after_a_change_and_counts_once_published,
        catalog::fs_17c_an_update_is_due_fifteen_working_days_after_a_law_changes,
        catalog::fs_12b_share_and_open_catalogs_are_derived_from_the_catalog,
        catalog::cs_25b_the_authority_publishes_the_yearly_lists_to_departments,
        catalog::sys_23_the_negative_list_names_each_basis,
        catalog::catalog_views_export_as_csv_xlsx_and_json,
        catalog::the_search_index_is_rebuilt_and_kept_in_step_across_nodes,
        catalog::catalog_bad_input_is_refused_and_stores_nothing,
        catalog::fs_12c_a_district_authority_keeps_only_its_districts_catalog,
        catalog::ls_21b_sys_36a_priority_entries_are_listed_first,
        catalog::sys_25a_yz_14d_yz_19_attributes_are_due_for_periodic_reassessment,
        catalog::fs_17b_the_editor_does_not_review_their_own_entry,
        catalog::cs_16d_a_fulfilled_update_is_filed_with_the_bureau,
        catalog::sys_11b_classification_is_reported_per_department,
        catalog::fs_12a_the_city_norm_is_versioned_and_the_city_catalog_integrates_every_catalog,
        catalog::yz_7a_institutions_compile_their_entries_and_the_competent_department_the_catalog,
        catalog::sys_11e_a_reclassification_states_its_reason_and_history_keeps_both_grades,
        catalog::sys_11a_a_new_standard_lists_the_entries_to_reclassify,
        catalog::ls_8a_a_designated_sector_department_keeps_the_sectors_catalog,
        catalog::yz_7c_the_providing_institution_is_consulted_before_its_entry_changes,
        opening::sys_38b_fs_15d_opened_data_passes_a_security_review_and_personal_items_are_desensitized,
        opening::sys_37c_not_opened_data_opens_only_with_evidence,
        opening::ls_21a_the_open_catalog_publishes_its_changes,
        opening::sys_36b_sys_36c_sys_38a_district_open_catalogs_roll_up_into_the_citys,
        opening::cs_13d_no_fee_is_attached_to_sharing_or_opening,
        supervision::fs_14f_conditions_in_words_are_reported_as_not_machine_enforced,
        supervision::fs_16a_a_share_type_objection_is_settled_by_the_source_and_the_authority,
        supervision::fs_16b_an_open_type_objection_also_needs_the_disclosure_authority,
        supervision::cs_25a_departments_submit_their_three_lists_every_year,
        supervision::sys_36e_sys_69b_each_departments_catalog_is_evaluated,
        aggregation::sys_07c_ls_12b_yz_12c_a_delivered_file_becomes_a_traceable_version,
        aggregation::sys_16b_sys_17c_failing_rows_are_quarantined_with_their_reasons,
        aggregation::ls_10a_a_column_outside_the_catalog_refuses_the_batch,
        aggregation::aggregation_bad_files_are_refused_and_the_previous_version_stays,
        aggregation::sys_17b_ls_8c_a_feed_past_its_interval_is_late,
        aggregation::sys_07c_a_file_uploaded_through_the_api_is_delivered,
        aggregation::cs_17c_a_spreadsheet_is_delivered_and_merged_headers_refused,
        aggregation::aggregation_large_files_find_repeated_keys_in_a_first_pass,
        aggregation::fs_44c_a_feed_is_warned_before_its_due_date_and_alerted_when_overdue,
        aggregation::sys_17a_cs_17b_sys_12e_coverage_names_the_entries_without_data,
        aggregation::yz_8a_data_outside_the_catalog_flags_the_entry_stale,
        aggregation::ls_16g_an_item_under_a_national_standard_is_checked_by_it,
        projects::cs_13b_yz_8c_acceptance_needs_each_entrys_data_aggregated,
        delivery::sys_07c_ls_12b_a_system_pushes_rows_under_an_idempotent_batch_key,
        delivery::sys_07c_parquet_files_are_delivered_and_versions_download_as_parquet,
        delivery::aggregation_sql_reads_a_departments_versions_and_nothing_else,
        delivery::aggregation_retention_removes_old_versions_and_keeps_the_newest,
        sync::sys_07c_ls_12b_a_postgresql_table_syncs_full_then_incremental,
        sync::sys_07c_ls_12b_a_mariadb_table_syncs_full_then_incremental,
        sharing::sys_27c_conditional_share_answered_within_one_working_day,
        sharing::sys_27b_unconditional_data_is_granted_after_the_authority_checks,
        sharing::fs_26a_fs_26b_unconditional_at_once_conditional_within_five_working_days,
        sharing::cs_22c_a_conditional_application_is_answered_in_ten_working_days_with_reasons_and_basis,
        sharing::ls_18d_cs_22d_fs_13d_sys_27d_data_not_shared_cannot_be_applied_for,
        sharing::sys_31a_ls_16e_fs_08c_fs_13c_fs_29b_every_call_outside_a_grant_is_refused_and_logged,
        sharing::cs_21c_fs_14d_verification_never_returns_a_value,
        sharing::fs_14e_statistics_never_describe_fewer_than_k_people_even_by_differencing,
        sharing::ls_17c_ls_18b_fs_25a_sys_33_batch_delivery_needs_consent_and_a_leaked_copy_is_traced,
        sharing::sys_31a_sys_31b_sys_31c_a_grant_idle_for_three_months_is_flagged_rectified_and_ended,
        sharing::sys_32a_sys_32b_sys_32c_a_data_demand_is_reviewed_then_cataloged_and_mounted,
        sharing::yz_15c_the_demand_list_goes_to_the_authority,
        sharing::sharing_bad_input_is_refused_with_messages_and_stores_nothing,
        sharing::sys_20b_fs_08d_use_is_recorded_and_an_ended_grant_asks_for_destruction,
        sharing::ls_19c_fs_28a_fs_28b_an_application_within_a_pre_approved_scenario_is_granted_at_once,
        sharing::a_list_that_fails_to_load_is_named_on_the_sharing_page,
        sharing::ls_16b_ls_17b_sharing_is_free_a_fee_is_refused_and_calls_are_request_response,
        sharing::cs_21b_cs_21d_cs_22b_an_application_states_its_scenario_and_unconditional_data_is_granted_at_once,
        sharing::fs_13b_unconditional_data_is_viewed_compared_and_obtained,
        sharing::yz_15a_yz_15b_yz_16_the_authority_answers_and_a_grant_serves_only_its_mode_and_scenario,
        sharing::sys_22_ls_16d_the_applicant_is_told_each_step_and_a_late_answer_is_raised,
        sharing::fs_08a_a_refusal_rests_on_a_statutory_ground_never_an_internal_rule,
        sharing::ls_19b_an_application_carries_the_undertaking_and_each_call_names_its_grant,
        sharing::fs_08b_an_application_states_its_scenario_and_use_logic,
        sharing::fs_29a_the_provider_fixes_the_grant_within_the_application,
        sharing::sys_33a_sys_33b_shared_data_is_offered_on_only_with_the_providers_consent,
        sharing::cs_22f_fs_32_shared_in_data_is_offered_on_only_as_the_regime_allows,
        sharing::fs_30a_a_record_carries_the_items_that_fail_the_rules_in_force,
        sharing::ls_18c_an_application_beyond_a_restricted_scope_goes_to_the_provider,
        sharing::ls_19a_an_application_names_a_mapped_business_item,
        sharing::fs_31a_a_consent_based_grant_serves_only_subjects_who_consented,
        channels::ls_17a_a_new_channel_waits_for_the_authoritys_exception,
        channels::cs_22e_existing_channels_are_shut_down_and_only_the_bureau_approves_an_exception,
        channels::fs_25b_an_exception_needs_the_city_governments_approval,
        sources::sys_16d_sys_16e_the_regulations_source_departments_are_registered,
        sources::sys_15b_sys_15c_several_sources_need_a_division_of_the_items,
        sources::cs_15b_yz_9b_a_repeated_collection_is_flagged_and_settled,
        basedb::sys_19a_cs_19b_ls_14c_the_population_base_reads_each_field_from_its_source,
        basedb::ls_13a_yz_11a_values_differing_from_the_source_are_listed,
        basedb::sys_28c_a_cross_check_notifies_the_source_department,
        basedb::sys_30a_sys_30b_a_districts_rows_flow_back_with_their_purpose,
        projects::sys_14a_sys_14c_approval_needs_the_catalog_submitted,
        projects::sys_69c_approval_needs_an_open_catalog_plan,
        projects::sys_14b_acceptance_names_the_unpublished_entry,
        projects::ls_29a_ls_29b_approval_needs_a_precompiled_catalog_or_an_authority_exception,
        projects::yz_8b_the_construction_plan_needs_a_preliminary_catalog,
        projects::cs_13a_a_project_needs_a_published_information_catalog,
        projects::cs_13c_a_new_system_goes_online_with_its_docking_document_and_interfaces,
        projects::projects_refuse_other_departments_entries_and_bad_values,
        openapi::openapi_document_lists_every_route_and_resolves_every_reference,
        browser::browser_login_and_register_a_department,
        browser::browser_regions_tokens_and_accounts,
        browser::browser_an_entry_is_cataloged_reviewed_and_found,
        browser::browser_editing_in_the_console_keeps_the_relations,
        browser::browser_fs_17b_the_pass_button_is_offered_only_to_another_officer,
        browser::browser_sys_07c_the_entry_page_shows_versions_and_deliveries,
        browser::browser_sys_07c_sys_15b_delivery_sync_and_sources_in_the_console,
        browser::browser_sys_27c_apply_approve_call_and_audit_in_the_console,
        browser::browser_sys_29a_sys_29b_a_dispute_is_opened_escalated_and_decided_in_the_console,
        browser::browser_fs_16a_cs_25a_yz_7c_objections_lists_and_consultations_in_the_console,
    ];
    let mut trials = Vec::new();
    for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
        for (name, case) in &cases {
            trials.push(trial(name, backend, *case, !backend.available()));
        }
    }
    // The document does not depend on the backend; the validator is installed by `.ci/run`.
    trials.push(trial(
        "openapi_document_passes_openapi_spec_validator",
        TestBackend::Sqlite,
        |app| Box::pin(openapi::openapi_document_passes_openapi_spec_validator(app)),
        openapi::external_validator().is_none(),
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// A case on a demo city served from a fresh database of `backend`.
fn trial(name: &str, backend: TestBackend, case: Case, ignored: bool) -> Trial {
    let short = name.rsplit("::").next().unwrap_or(name);
    Trial::test(format!("{}::{short}", backend.name()), move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        rt.block_on(async move {
            let app = common::spawn(backend).await;
            let (store, url, siblings) = (app.platform.store.clone(), app.database_url.clone(), app.siblings.clone());
            case(app).await;
            store.close().await;
            backend.discard(&url).await;
            let siblings: Vec<String> = siblings.lock().unwrap().drain(..).collect();
            for url in siblings {
                backend.discard(&url).await;
            }
        });
        Ok(())
    })
    .with_ignored_flag(ignored)
}
