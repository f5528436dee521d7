//! The console's words in Chinese (the default) and English. Templates read them as `t.KEY`; the role and
//! attribute labels in Chinese come from the policy profile instead.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(value: Option<&str>) -> Lang {
        if value == Some("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

const WORDS: &[(&str, &str, &str)] = &[
    ("app", "数源 · 公共数据平台", "Shuyuan · Public Data Platform"),
    ("login", "登录", "Sign in"),
    ("logout", "退出", "Sign out"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    ("home", "首页", "Home"),
    ("departments", "部门管理", "Departments"),
    ("users", "用户管理", "Users"),
    ("audit", "审计日志", "Audit log"),
    ("calendar", "工作日日历", "Working-day calendar"),
    ("welcome", "欢迎", "Welcome"),
    ("your_roles", "您的角色", "Your roles"),
    ("profile", "适用办法", "Regulation in force"),
    ("name", "名称", "Name"),
    ("kind", "类型", "Kind"),
    ("region", "区划", "Region"),
    ("uscc", "统一社会信用代码", "Unified social credit code"),
    ("create", "新建", "Create"),
    ("add_department", "登记部门", "Register a department"),
    ("add_user", "新建用户", "Create a user"),
    ("display_name", "姓名", "Name"),
    ("department", "所属部门", "Department"),
    ("roles", "角色", "Roles"),
    ("assign_role", "分配角色", "Assign role"),
    ("none", "无", "none"),
    ("search", "查询", "Search"),
    ("action", "操作", "Action"),
    ("actor", "操作人", "Actor"),
    ("object", "对象", "Object"),
    ("result", "结果", "Result"),
    ("time", "时间", "Time"),
    ("client", "来源地址", "Client"),
    ("from", "起始日期", "From"),
    ("to", "截止日期", "To"),
    ("export", "导出", "Export"),
    ("verify_chain", "校验哈希链", "Verify chain"),
    ("chain_ok", "哈希链完整", "The chain is whole"),
    ("chain_broken", "哈希链断裂", "The chain is broken"),
    ("deadline_calc", "期限计算", "Deadline calculator"),
    ("received_on", "收到日期", "Received on"),
    ("working_days", "工作日数", "Working days"),
    ("due", "到期日", "Due"),
    ("provisional", "暂定（该年节假日安排尚未发布）", "provisional (that year's holidays are not published yet)"),
    ("year", "年份", "Year"),
    ("holidays", "放假日", "Holidays"),
    ("adjusted", "调休上班日", "Adjusted working days"),
    ("deadlines", "期限参数", "Deadlines"),
    ("article", "条款", "Article"),
    ("value", "数值", "Value"),
    ("total", "共", "Total"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("forbidden", "无权访问此页面", "You may not see this page"),
    ("error", "出错了", "Something went wrong"),
    ("back", "返回", "Back"),
    ("saved", "已保存", "Saved"),
    ("tasks_authority", "待办：审核目录与申请、评估部门、维护日历", "To do: review catalogs and applications, evaluate departments, keep the calendar"),
    ("tasks_officer", "待办：编制本部门目录、报送数据、答复共享申请", "To do: write your catalog, deliver data, answer share applications"),
    ("tasks_auditor", "查阅审计日志、校验哈希链、导出审计记录", "Read the audit log, verify the chain, export events"),
    ("tasks_security", "数据分类分级、安全事件处置", "Classify and grade data, handle incidents"),
    ("tasks_service", "数据归集、脱敏、基础库建设、质量监测", "Aggregation, desensitization, base databases, quality monitoring"),
    ("tasks_operator", "在沙箱中计算授权数据、登记数据产品", "Compute on authorized data in the sandbox, register products"),
    ("recent_activity", "最近操作", "Recent activity"),
    ("counts", "平台概况", "Platform at a glance"),
    ("regions", "行政区划", "Regions"),
    ("add_region", "新增区划", "Add a region"),
    ("division_code", "区划代码", "Division code"),
    ("name_en", "英文名称", "English name"),
    ("parent_region", "上级区划", "Parent region"),
    ("none_city", "无（设区市）", "none (a city)"),
    ("tokens", "接口令牌", "API tokens"),
    ("add_token", "签发令牌", "Issue a token"),
    ("token_hint", "令牌供部门业务系统调用接口使用，仅以哈希保存；签发后只显示一次，请立即妥善保存。", "Tokens let a department's systems call the API. Only a hash is stored: the token is shown once, so store it now."),
    ("token_secret_once", "新令牌（仅显示这一次）：", "The new token (shown only this once):"),
    ("token_name", "令牌名称", "Token name"),
    ("issue", "签发", "Issue"),
    ("prefix", "前缀", "Prefix"),
    ("created", "签发时间", "Issued"),
    ("last_used", "最近使用", "Last used"),
    ("state", "状态", "State"),
    ("revoke", "吊销", "Revoke"),
    ("revoked", "已吊销", "Revoked"),
    ("remove_role", "移除角色", "Remove role"),
    ("active", "正常", "Active"),
    ("disabled", "已停用", "Disabled"),
    ("disable", "停用", "Disable"),
    ("enable", "启用", "Enable"),
];

/// The words of one language, keyed.
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS.iter().map(|(k, zh, en)| (*k, if lang == Lang::Zh { *zh } else { *en })).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = super::WORDS.iter().map(|w| w.0).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len());
    }
}
