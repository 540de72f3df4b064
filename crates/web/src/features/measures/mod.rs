//! The 13 measures of 渝发改社会〔2023〕1271号: each with its responsible units, and where
//! the platform carries its work. Public pages and `GET /api/v1/measures`.

pub mod api;
pub mod pages;

use domain::reference::{Measure, unit};

/// A responsible unit of a measure, as its pages show it.
pub struct UnitView {
    pub name: &'static str,
    pub full_name: &'static str,
    pub lead: bool,
}

/// A measure with its responsible units (lead units marked).
pub struct MeasureView {
    pub number: u8,
    pub title: &'static str,
    pub summary: &'static str,
    pub units: Vec<UnitView>,
}

/// The view of a measure: its units, resolved from the reference data.
pub fn view(m: &Measure) -> MeasureView {
    MeasureView {
        number: m.number,
        title: m.title,
        summary: m.summary,
        units: m
            .units
            .iter()
            .filter_map(|(code, lead)| {
                unit(code).map(|u| UnitView {
                    name: u.name,
                    full_name: u.full_name,
                    lead: *lead,
                })
            })
            .collect(),
    }
}

/// Where a measure's work is done on the platform: the page, what it is for, and who uses it.
pub struct WorkLink {
    pub measure: u8,
    pub label: &'static str,
    pub href: &'static str,
    pub who: &'static str,
}

const fn work(measure: u8, label: &'static str, href: &'static str, who: &'static str) -> WorkLink {
    WorkLink {
        measure,
        label,
        href,
        who,
    }
}

/// The pages of every measure the platform carries (a test checks each is a route).
pub const WORK: &[WorkLink] = &[
    work(3, "申请入库、认定、复核与年报", "/applications/new", "企业"),
    work(3, "我的申报", "/applications", "企业"),
    work(3, "待办审核", "/queue", "区县、牵头部门与联审部门"),
    work(3, "产教融合型企业名单", "/certified", "公开"),
    work(5, "专业与需求分析", "/alignment", "市教委、区县、院校"),
    work(5, "职业教育专业目录", "/majors", "登录用户"),
    work(5, "院校专业供给", "/supply", "院校、市教委"),
    work(5, "岗位需求", "/demand", "市教委、市人力社保局"),
    work(5, "待确认岗位名称", "/demand/queue", "市教委、市人力社保局"),
    work(
        12,
        "投资抵免年度申报",
        "/applications/new",
        "产教融合型企业",
    ),
    work(12, "投资抵免台账", "/tax/ledger", "产教融合型企业"),
    work(12, "抵免申报汇总", "/tax/claims", "重庆市税务局"),
    work(12, "投资抵免计算", "/rules/tax_credit", "登录用户"),
];
