//! The main navigation, as data: each group and link with who sees it, so a feature adds
//! rows here instead of flags on the layout and conditions in `base.html`. The registers'
//! lists are read from the register files: a new register appears under 名录 with no code.

use domain::orgs::Role;

use crate::auth::Caller;
use crate::auth::access::{Permission, allows};

/// Who sees a link.
#[derive(Debug, Clone, Copy)]
enum Show {
    Everyone,
    SignedIn,
    Role(Role),
    /// Signed in with a permission (e.g. a measure's responsible units).
    Permission(Permission),
    /// A school, or one with the permission.
    SchoolOr(Permission),
    /// Not an enterprise but with the permission.
    NotEnterpriseWith(Permission),
}

impl Show {
    fn lets(self, c: Option<&Caller>) -> bool {
        let is = |r: Role| c.is_some_and(|c| c.principal.role == r.as_str());
        let may = |p: Permission| c.is_some_and(|c| allows(&c.principal, p));
        match self {
            Show::Everyone => true,
            Show::SignedIn => c.is_some(),
            Show::Role(r) => is(r),
            Show::Permission(p) => may(p),
            Show::SchoolOr(p) => is(Role::School) || may(p),
            Show::NotEnterpriseWith(p) => !is(Role::Enterprise) && may(p),
        }
    }
}

struct Link {
    label: &'static str,
    href: &'static str,
    /// The pages' `nav` key that marks it current.
    key: &'static str,
    show: Show,
}

struct Group {
    label: &'static str,
    /// The measures it serves, shown small (`措施3·12`).
    measures: &'static str,
    /// Where the group's own link goes: signed in, and otherwise.
    href: (&'static str, &'static str),
    /// Marks it current besides its links' keys.
    key: &'static str,
    show: Show,
    /// Carries the unread count.
    badge: bool,
    links: &'static [Link],
}

const fn link(label: &'static str, href: &'static str, key: &'static str, show: Show) -> Link {
    Link {
        label,
        href,
        key,
        show,
    }
}

const GROUPS: &[Group] = &[
    Group {
        label: "首页",
        measures: "",
        href: ("/", "/"),
        key: "home",
        show: Show::SignedIn,
        badge: false,
        links: &[],
    },
    Group {
        label: "办理",
        measures: "",
        href: ("/queue", "/queue"),
        key: "",
        show: Show::SignedIn,
        badge: true,
        links: &[
            link("待办", "/queue", "queue", Show::SignedIn),
            link("申报", "/applications", "applications", Show::SignedIn),
            link("消息", "/inbox", "inbox", Show::SignedIn),
        ],
    },
    Group {
        label: "机构名录",
        measures: "",
        href: ("/orgs", "/orgs"),
        key: "orgs",
        show: Show::SignedIn,
        badge: false,
        links: &[],
    },
    Group {
        label: "产教融合型企业",
        measures: "措施3·12",
        href: ("/certified", "/certified"),
        key: "",
        show: Show::Everyone,
        badge: false,
        links: &[
            link("认定企业名单", "/certified", "certified", Show::Everyone),
            link(
                "抵免台账",
                "/tax/ledger",
                "tax",
                Show::Role(Role::Enterprise),
            ),
            link(
                "抵免申报汇总",
                "/tax/claims",
                "tax",
                Show::NotEnterpriseWith(Permission::ViewTaxClaims),
            ),
            link("措施3说明", "/measures/3", "", Show::Everyone),
            link("措施12说明", "/measures/12", "", Show::Everyone),
        ],
    },
    Group {
        label: "专业与需求",
        measures: "措施5",
        href: ("/alignment", "/majors"),
        key: "",
        show: Show::Everyone,
        badge: false,
        links: &[
            link("专业与需求分析", "/alignment", "alignment", Show::SignedIn),
            link("专业目录", "/majors", "majors", Show::Everyone),
            link(
                "专业供给",
                "/supply",
                "supply",
                Show::SchoolOr(Permission::ManageMajors),
            ),
            link("职业分类", "/occupations", "occupations", Show::Everyone),
            link(
                "岗位需求",
                "/demand",
                "demand",
                Show::Permission(Permission::ManageDemand),
            ),
        ],
    },
    Group {
        label: "十三项措施",
        measures: "",
        href: ("/measures", "/measures"),
        key: "measures",
        show: Show::Everyone,
        badge: false,
        links: &[],
    },
    // Its links are the registers (from their files), added by `build`.
    Group {
        label: "名录",
        measures: "",
        href: ("/registers", "/registers"),
        key: "registers",
        show: Show::Everyone,
        badge: false,
        links: &[],
    },
    Group {
        label: "规则计算",
        measures: "",
        href: ("/rules", "/rules"),
        key: "rules",
        show: Show::Everyone,
        badge: false,
        links: &[],
    },
    Group {
        label: "管理",
        measures: "",
        href: ("/admin/users", "/admin/users"),
        key: "",
        show: Show::Permission(Permission::ManageAccounts),
        badge: false,
        links: &[
            link(
                "用户与令牌",
                "/admin/users",
                "users",
                Show::Permission(Permission::ManageAccounts),
            ),
            link(
                "审计日志",
                "/audit",
                "audit",
                Show::Permission(Permission::ViewAudit),
            ),
        ],
    },
];

/// A link of the navigation as the page shows it.
pub struct NavLink {
    pub label: String,
    pub href: String,
    pub on: bool,
    /// Carries the unread count (消息).
    pub badge: bool,
}

/// A group of the navigation as the page shows it: a top link, with a menu when it has links.
pub struct NavGroup {
    pub label: &'static str,
    pub measures: &'static str,
    pub href: &'static str,
    pub on: bool,
    pub badge: bool,
    pub links: Vec<NavLink>,
}

/// The navigation `caller` sees on a page whose `nav` key is `current`.
pub fn build(caller: Option<&Caller>, current: &str) -> Vec<NavGroup> {
    GROUPS
        .iter()
        .filter(|g| g.show.lets(caller))
        .map(|g| {
            let mut links: Vec<NavLink> = g
                .links
                .iter()
                .filter(|l| l.show.lets(caller))
                .map(|l| NavLink {
                    label: l.label.to_owned(),
                    href: l.href.to_owned(),
                    on: !l.key.is_empty() && l.key == current,
                    badge: g.badge && l.key == "inbox",
                })
                .collect();
            if g.key == "registers" {
                links = domain::workflow::registers()
                    .iter()
                    .filter(|r| r.public || caller.is_some())
                    .map(|r| NavLink {
                        label: r.title.clone(),
                        href: format!("/registers/{}", r.code),
                        on: false,
                        badge: false,
                    })
                    .collect();
            }
            let on = (!g.key.is_empty() && g.key == current)
                || g.links
                    .iter()
                    .any(|l| !l.key.is_empty() && l.key == current);
            NavGroup {
                label: g.label,
                measures: g.measures,
                href: if caller.is_some() { g.href.0 } else { g.href.1 },
                on,
                badge: g.badge,
                links,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: &str, unit: Option<&str>) -> Caller {
        Caller {
            principal: store::accounts::Principal {
                user_id: 1,
                username: "u".into(),
                display_name: "u".into(),
                role: role.into(),
                org_id: 7,
                org_kind: role.into(),
                org_code: "x".into(),
                org_name: "x".into(),
                district: None,
                unit_code: unit.map(Into::into),
            },
            csrf: None,
            session_hash: None,
            request_id: None,
            unread: None,
        }
    }

    /// Every label the visitor sees, groups and their links, in order.
    fn labels(c: Option<&Caller>, current: &str) -> Vec<String> {
        build(c, current)
            .into_iter()
            .flat_map(|g| {
                std::iter::once(format!("{}{}", g.label, if g.on { "*" } else { "" })).chain(
                    g.links.into_iter().map(move |l| {
                        format!("{}/{}{}", g.label, l.label, if l.on { "*" } else { "" })
                    }),
                )
            })
            .collect()
    }

    #[test]
    fn each_visitor_sees_the_links_of_its_role_and_units() {
        let anon = labels(None, "majors");
        assert!(
            !anon
                .iter()
                .any(|l| l.starts_with("首页") || l.starts_with("办理"))
        );
        assert!(anon.contains(&"专业与需求*".to_owned()), "{anon:?}");
        assert!(
            anon.contains(&"专业与需求/专业目录*".to_owned()),
            "{anon:?}"
        );
        assert!(
            !anon.iter().any(|l| l.contains("专业与需求分析")),
            "{anon:?}"
        );
        // The registers come from their files.
        assert!(
            anon.contains(&"名录/产教融合型企业名单".to_owned()),
            "{anon:?}"
        );
        assert!(!anon.iter().any(|l| l.starts_with("管理")));

        let ent = labels(Some(&caller("enterprise", None)), "tax");
        assert!(
            ent.contains(&"产教融合型企业/抵免台账*".to_owned()),
            "{ent:?}"
        );
        assert!(!ent.iter().any(|l| l.contains("抵免申报汇总")), "{ent:?}");
        assert!(
            !ent.iter()
                .any(|l| l.contains("岗位需求") || l.contains("专业供给"))
        );

        let sw = labels(Some(&caller("department", Some("sw"))), "");
        assert!(sw.iter().any(|l| l.contains("抵免申报汇总")), "{sw:?}");
        assert!(!sw.iter().any(|l| l.contains("抵免台账")), "{sw:?}");

        let rsj = labels(Some(&caller("department", Some("rsj"))), "demand");
        assert!(rsj.contains(&"专业与需求/岗位需求*".to_owned()), "{rsj:?}");
        let school = labels(Some(&caller("school", None)), "");
        assert!(school.iter().any(|l| l.contains("专业供给")), "{school:?}");

        let op = labels(Some(&caller("operator", None)), "audit");
        assert!(op.contains(&"管理*".to_owned()) && op.contains(&"管理/审计日志*".to_owned()));
    }
}
