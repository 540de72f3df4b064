//! Access decisions, in one place, for pages and API alike: a role grants permissions, and the
//! principal's organisation sets the scope of what they see.

use domain::orgs::Role;
use store::accounts::Principal;
use store::applications::Viewer;
use store::orgs::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See organisations (within scope).
    ViewOrgs,
    /// Register a new organisation.
    CreateOrg,
    /// Create users, enable/disable them, issue and revoke API tokens.
    ManageAccounts,
    /// Read the audit log.
    ViewAudit,
    /// See every enterprise's tax-credit claims and their totals (measure 12's unit).
    ViewTaxClaims,
    /// Import the major catalog and edit the major–occupation crosswalk (measure 5's lead).
    ManageMajors,
    /// Import job postings and enterprise demand and confirm title matches (measure 5's units:
    /// 市教委, 市人力社保局, 市经济信息委).
    ManageDemand,
}

pub fn role(p: &Principal) -> Option<Role> {
    Role::parse(&p.role)
}

/// Whether the principal's role grants `perm`.
pub fn allows(p: &Principal, perm: Permission) -> bool {
    let Some(r) = role(p) else { return false };
    match perm {
        Permission::ViewOrgs => true,
        Permission::CreateOrg | Permission::ManageAccounts | Permission::ViewAudit => {
            r == Role::Operator
        }
        Permission::ManageMajors => {
            r == Role::Operator
                || (r == Role::Department
                    && p.unit_code.as_deref().is_some_and(|u| {
                        domain::reference::measure(5).is_some_and(|m| m.is_lead(u))
                    }))
        }
        Permission::ManageDemand => {
            r == Role::Operator
                || (r == Role::Department
                    && p.unit_code.as_deref().is_some_and(|u| {
                        domain::reference::measure(5).is_some_and(|m| m.is_responsible(u))
                    }))
        }
        Permission::ViewTaxClaims => {
            r == Role::Operator
                || (r == Role::Department
                    && p.unit_code.as_deref().is_some_and(|u| {
                        domain::reference::measure(12).is_some_and(|m| m.is_responsible(u))
                    }))
        }
    }
}

/// The organisations the principal may see: operators and departments everything, districts
/// their own area, everyone else their own organisation.
pub fn org_scope(p: &Principal) -> Scope {
    match role(p) {
        Some(Role::Operator) | Some(Role::Department) => Scope::All,
        Some(Role::District) => match &p.district {
            Some(d) => Scope::District(d.clone()),
            None => Scope::Org(p.org_id),
        },
        _ => Scope::Org(p.org_id),
    }
}

/// Whose applications the principal sees, as `web::features::applications::visible` decides for one:
/// its own organisation's (drafts included), and submitted ones within its organisation scope
/// of the kinds it reviews at some stage — every kind for operators, for a department the kinds
/// with a stage of its unit, for a district those with a stage of the applicant's district
/// (within its own district).
pub fn viewer(p: &Principal) -> Viewer {
    let scope = org_scope(p);
    Viewer {
        // An organisation (a bank chosen in a form) may be named as a reviewer.
        named: matches!(scope, Scope::Org(_)),
        scope,
        org_id: p.org_id,
        kinds: reviewed_kinds(p),
    }
}

/// The kinds of application the principal reviews (or handles) at some stage; `None` for
/// every kind (operators). Applicants and banks review none: their scope is their own
/// organisation.
fn reviewed_kinds(p: &Principal) -> Option<Vec<String>> {
    use domain::workflow::Reviewers;
    let reviews = |r: &Reviewers| match (role(p), r) {
        (Some(Role::District), Reviewers::DistrictOfApplicant) => p.district.is_some(),
        (Some(Role::Department), Reviewers::Units(us)) => p
            .unit_code
            .as_ref()
            .is_some_and(|u| us.iter().any(|x| x == u)),
        // Stages of a role are the operator's (`reviewer_keys`), who sees every kind.
        _ => false,
    };
    match role(p) {
        Some(Role::Operator) => None,
        _ => {
            let mut kinds: Vec<String> = domain::workflow::kinds()
                .iter()
                .filter(|k| k.stages.iter().any(|s| reviews(s.actors())))
                .map(|k| k.code.clone())
                .collect();
            kinds.sort();
            Some(kinds)
        }
    }
}

/// Whether a district's figures lie within the principal's scope: everyone's for operators
/// and departments, a district's own for its users, and the district of their own
/// organisation for schools, enterprises and banks.
pub fn sees_district(p: &Principal, code: &str) -> bool {
    match org_scope(p) {
        Scope::All => true,
        Scope::District(d) => d == code,
        Scope::Org(_) => p.district.as_deref() == Some(code),
    }
}

/// Whether a school's own figures (its offerings, report and export) lie within the
/// principal's scope: every school for operators and departments, the schools of its district
/// for a district, and a school its own.
pub fn sees_school(p: &Principal, school_id: i64, school_district: &str) -> bool {
    match org_scope(p) {
        Scope::All => true,
        Scope::District(d) => d == school_district,
        Scope::Org(id) => id == school_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: &str, district: Option<&str>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role: role.into(),
            org_id: 7,
            org_kind: role.into(),
            org_code: "x".into(),
            org_name: "x".into(),
            district: district.map(Into::into),
            unit_code: None,
        }
    }

    #[test]
    fn scopes_follow_role() {
        assert_eq!(org_scope(&p("operator", None)), Scope::All);
        assert_eq!(org_scope(&p("department", None)), Scope::All);
        assert_eq!(
            org_scope(&p("district", Some("500103"))),
            Scope::District("500103".into())
        );
        assert_eq!(org_scope(&p("enterprise", Some("500103"))), Scope::Org(7));
        assert_eq!(org_scope(&p("bogus", None)), Scope::Org(7));
    }

    #[test]
    fn districts_and_schools_follow_scope() {
        let dist = p("district", Some("500103"));
        assert!(sees_district(&dist, "500103"));
        assert!(!sees_district(&dist, "500112"));
        assert!(sees_school(&dist, 9, "500103"));
        assert!(!sees_school(&dist, 9, "500112"));
        let school = p("school", Some("500103"));
        assert!(sees_school(&school, 7, "500103"));
        assert!(!sees_school(&school, 9, "500103"));
        assert!(sees_district(&school, "500103"));
        assert!(!sees_district(&school, "500112"));
        let dept = p("department", None);
        assert!(sees_district(&dept, "500112") && sees_school(&dept, 9, "500112"));
        assert_eq!(
            viewer(&dist),
            Viewer {
                scope: Scope::District("500103".into()),
                org_id: 7,
                kinds: Some(vec![
                    "enterprise_certification".into(),
                    "enterprise_cultivation".into()
                ]),
                named: false,
            }
        );
    }

    #[test]
    fn departments_and_districts_see_the_kinds_they_review() {
        let mut fgw = p("department", None);
        fgw.unit_code = Some("fgw".into());
        let kinds = viewer(&fgw).kinds.unwrap();
        assert!(kinds.contains(&"enterprise_certification".to_string()));
        assert!(!kinds.contains(&"tax_credit_claim".to_string()));
        let mut sw = p("department", None);
        sw.unit_code = Some("sw".into());
        assert_eq!(
            viewer(&sw).kinds.unwrap(),
            ["enterprise_certification", "tax_credit_claim"]
        );
        let mut none = p("department", None);
        none.unit_code = Some("mzj".into());
        assert_eq!(viewer(&none).kinds, Some(vec![]));
        assert_eq!(viewer(&p("operator", None)).kinds, None);
        assert_eq!(viewer(&p("enterprise", Some("500103"))).kinds, Some(vec![]));
    }

    #[test]
    fn only_operators_administer() {
        for r in [
            "department",
            "district",
            "school",
            "enterprise",
            "bank",
            "bogus",
        ] {
            assert!(!allows(&p(r, None), Permission::CreateOrg), "{r}");
            assert!(!allows(&p(r, None), Permission::ManageAccounts), "{r}");
            assert!(!allows(&p(r, None), Permission::ViewAudit), "{r}");
        }
        assert!(allows(&p("operator", None), Permission::ManageAccounts));
        assert!(!allows(&p("bogus", None), Permission::ViewOrgs));
    }
}
