//! Demo applications: cultivation, certification, national recommendation and tax-credit
//! claims in every stage, driven through the real application service
//! (`web::features::applications::create_draft` / `act`) so that history, pending reviewers, inbox
//! and audit entries are all genuine.
//!
//! Each acting party is a password-less system user (`demo-sys-<org id>`) of its
//! organisation: enterprises, the responsible units (departments) and the districts.
//!
//! The workflow dates everything "today". Where the demo needs time to have passed
//! (overdue reviews, an ended publicity period, certifications granted years ago so that
//! tax-credit ledgers span several years), it moves dates with plain SQL updates: demo data
//! simulates elapsed time this way, nothing else does.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow};
use domain::orgs::OrgKind;
use domain::workflow::Action;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use store::accounts::{self, NewUser};
use store::orgs::{Filter, Org, Scope};
use store::{Actor, Db, Paging};
use web::AppState;
use web::auth::Caller;

/// Seed of the applications' data (independent of the organisations' seed).
const SEED: u64 = 2023_1271_0003;

/// The district whose demo account (`yuzhong`) should find work in its queue.
const YUZHONG: &str = "500103";

/// Past deadlines of overdue reviews (with the stage's simulated start).
const OVERDUE: [(&str, &str); 3] = [
    ("2026-09-24", "2026-10-15"),
    ("2026-10-09", "2026-10-28"),
    ("2026-10-16", "2026-11-06"),
];

/// A publicity end date safely in the past, so that the period can be concluded.
const PUBLICITY_ENDED: &str = "2020-01-01";

/// Backdated histories of enterprises with multi-year tax ledgers (Beijing time):
/// cultivation 2021-09-01 10:00 to 2021-11-30 12:00, certification 2023-01-09 10:00 to
/// 2023-06-30 12:00 — valid (three years) through every claimed year, 2023 to 2025.
const BACKDATED_CULTIVATION: (i64, i64) = (1_630_461_600, 1_638_244_800);
const BACKDATED_CERTIFICATION: (i64, i64) = (1_673_229_600, 1_688_097_600);
/// Their re-evaluation, filed before that certification's end and granted: 2026-04-01 10:00
/// to 2026-06-15 12:00, so they are still certified today (a renewed three years).
const BACKDATED_REEVALUATION: (i64, i64) = (1_775_008_800, 1_781_496_000);
/// The other certified enterprises: cultivation 2026-03-02 10:00 to 2026-04-30 12:00,
/// certification 2026-06-01 10:00 to 2026-10-30 12:00 (long enough for every step, the
/// publicity period included).
const RECENT_CULTIVATION: (i64, i64) = (1_772_416_800, 1_777_521_600);
const RECENT_CERTIFICATION: (i64, i64) = (1_780_279_200, 1_793_332_800);
/// Certifications awaiting the decision: filed 2026-09-01 10:00, publicity concluded
/// 2026-11-30 12:00.
const AUTUMN_CERTIFICATION: (i64, i64) = (1_788_228_000, 1_796_011_200);

/// The joint-review units of certification, in order.
const JOINT: [&str; 5] = ["jxw", "czj", "rsj", "gzw", "sw"];

/// Certification form data: eligible, or failing one criterion of the certification rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Eligible,
    /// Staff-education funds below 1.5% of payroll (basic condition).
    LowTrainingFunds,
    /// Registered for less than the required years (basic condition).
    TooYoung,
    /// No participation condition met.
    NoParticipation,
    /// Conditions met but the score is below the minimum.
    LowScore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tax {
    None,
    /// Verified claims for this many consecutive years ending last year.
    Ledger(u8),
    /// A ledger, and last year's claim awaiting verification.
    LedgerPending(u8),
    /// A ledger, and last year's claim returned by the tax bureau.
    LedgerReturned(u8),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum National {
    None,
    /// Lead review: fgw approved, jw pending.
    LeadOne,
    /// Expert scoring, with or without fgw's score given.
    Scoring {
        scored: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    District,
    Lead,
    Joint,
}

/// What happens to one enterprise.
#[derive(Clone, Copy)]
enum Plan {
    /// Cultivation at district review.
    CultDistrict {
        overdue: Option<usize>,
    },
    /// Cultivation at fgw review.
    CultFgw,
    CultReturned,
    CultRejected,
    /// Cultivation approved, no certification yet.
    Cultivated,
    /// The plans below first get the cultivation approved.
    CertDraft,
    CertDistrict {
        form: Form,
        overdue: Option<usize>,
    },
    /// Lead review; `done` is the lead unit that already approved.
    CertLead {
        done: Option<&'static str>,
        overdue: Option<usize>,
    },
    /// Joint review with the first `done` units approved.
    CertJoint {
        done: usize,
        overdue: Option<usize>,
    },
    CertPublicity {
        objection: bool,
    },
    CertDecision,
    CertReturned {
        at: At,
    },
    CertRejected {
        at: At,
        form: Form,
    },
    /// An objection during publicity is upheld: rejected.
    CertObjectionUpheld,
    CertWithdrawn {
        returned_first: bool,
    },
    Certified {
        objection: bool,
        tax: Tax,
        national: National,
    },
}

/// The plans, in order; the first applies to the first enterprise (the `enterprise` demo
/// account's), the next four preferably to enterprises of Yuzhong (the `yuzhong` account).
fn plans() -> Vec<Plan> {
    use Plan::*;
    let certified = |tax, national| Certified {
        objection: false,
        tax,
        national,
    };
    let mut v = vec![
        certified(Tax::LedgerPending(2), National::None),
        // Yuzhong.
        CertDistrict {
            form: Form::Eligible,
            overdue: None,
        },
        CertDistrict {
            form: Form::Eligible,
            overdue: Some(0),
        },
        CultDistrict { overdue: None },
        CertReturned { at: At::District },
        // Everywhere.
        certified(Tax::Ledger(3), National::Scoring { scored: true }),
        certified(Tax::Ledger(2), National::Scoring { scored: false }),
        certified(Tax::Ledger(3), National::LeadOne),
        certified(Tax::Ledger(2), National::None),
        certified(Tax::LedgerReturned(2), National::None),
        Certified {
            objection: true,
            tax: Tax::None,
            national: National::None,
        },
    ];
    v.extend((0..9).map(|_| certified(Tax::None, National::None)));
    v.extend([
        CertDistrict {
            form: Form::LowScore,
            overdue: None,
        },
        CertDistrict {
            form: Form::Eligible,
            overdue: Some(1),
        },
        CertDistrict {
            form: Form::Eligible,
            overdue: None,
        },
        CertLead {
            done: Some("fgw"),
            overdue: None,
        },
        CertLead {
            done: Some("jw"),
            overdue: None,
        },
        CertLead {
            done: None,
            overdue: Some(2),
        },
        CertJoint {
            done: 2,
            overdue: None,
        },
        CertJoint {
            done: 4,
            overdue: None,
        },
        CertJoint {
            done: 0,
            overdue: Some(0),
        },
        CertJoint {
            done: 1,
            overdue: None,
        },
        CertPublicity { objection: true },
        CertPublicity { objection: false },
        CertPublicity { objection: false },
        CertDecision,
        CertDecision,
        CertReturned { at: At::Lead },
        CertReturned { at: At::Joint },
        CertRejected {
            at: At::District,
            form: Form::LowTrainingFunds,
        },
        CertRejected {
            at: At::Joint,
            form: Form::TooYoung,
        },
        CertRejected {
            at: At::District,
            form: Form::NoParticipation,
        },
        CertObjectionUpheld,
        CertWithdrawn {
            returned_first: false,
        },
        CertWithdrawn {
            returned_first: true,
        },
        CertDraft,
        CertDraft,
        Cultivated,
        Cultivated,
        Cultivated,
        CultDistrict { overdue: Some(1) },
        CultDistrict { overdue: Some(2) },
        CultDistrict { overdue: None },
        CultDistrict { overdue: None },
        CultDistrict { overdue: None },
        CultDistrict { overdue: None },
        CultDistrict { overdue: None },
        CultFgw,
        CultFgw,
        CultFgw,
        CultReturned,
        CultRejected,
    ]);
    v
}

const MAJORS: &[&str] = &[
    "智能网联汽车技术",
    "工业机器人技术",
    "大数据技术",
    "电子信息工程技术",
    "机电一体化技术",
    "现代物流管理",
    "智慧健康养老服务与管理",
    "药品生产技术",
    "软件技术",
    "新能源汽车技术",
];

struct Demo {
    state: AppState,
    rng: StdRng,
    callers: HashMap<i64, Caller>,
    schools: Vec<String>,
    /// The current year (Beijing time): claims are for the years before it.
    year: i64,
    created: usize,
}

/// Generates the demo applications; returns how many were created.
pub async fn generate(db: &Db) -> Result<usize> {
    let mut d = Demo {
        state: AppState::new(db.clone()),
        rng: StdRng::seed_from_u64(SEED),
        callers: HashMap::new(),
        schools: Vec::new(),
        year: domain::calendar::today_shanghai()
            .format("%Y")
            .to_string()
            .parse()
            .context("当前年份")?,
        created: 0,
    };
    d.schools = d
        .orgs(OrgKind::School, None, 1, 100)
        .await?
        .into_iter()
        .map(|o| o.name)
        .collect();
    let plans = plans();
    let pool = d.pool(plans.len()).await?;
    for (plan, org) in plans.into_iter().zip(pool) {
        d.run(plan, &org).await?;
    }
    // The decisions were taken today and then moved into the past: the registers they wrote
    // are written again from the dated history.
    store::registers::clear_decided(db).await?;
    web::features::registers::backfill(&d.state)
        .await
        .map_err(|e| anyhow!("名录补录失败：{e}"))?;
    Ok(d.created)
}

impl Demo {
    fn db(&self) -> &Db {
        &self.state.db
    }

    async fn orgs(
        &self,
        kind: OrgKind,
        district: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<Org>> {
        Ok(store::orgs::list(
            self.db(),
            &Scope::All,
            &Filter {
                kind: Some(kind),
                district: district.map(str::to_string),
                ..Default::default()
            },
            Paging::new(Some(page), Some(per_page)),
        )
        .await?
        .items)
    }

    /// The applicants: the first enterprise, up to four of Yuzhong, then a random sample.
    async fn pool(&mut self, n: usize) -> Result<Vec<Org>> {
        let first = self.orgs(OrgKind::Enterprise, None, 1, 1).await?;
        let yuzhong = self.orgs(OrgKind::Enterprise, Some(YUZHONG), 1, 10).await?;
        let mut sample = self.orgs(OrgKind::Enterprise, None, 2, 200).await?;
        if sample.len() < n {
            sample = self.orgs(OrgKind::Enterprise, None, 1, 200).await?;
        }
        sample.shuffle(&mut self.rng);
        let mut out: Vec<Org> = Vec::with_capacity(n);
        let push = |o: Org, out: &mut Vec<Org>| {
            if !out.iter().any(|x| x.id == o.id) {
                out.push(o);
            }
        };
        for o in first {
            push(o, &mut out);
        }
        for o in yuzhong {
            if out.len() >= 5 {
                break;
            }
            push(o, &mut out);
        }
        for o in sample {
            if out.len() >= n {
                break;
            }
            push(o, &mut out);
        }
        Ok(out)
    }

    /// The system user of an organisation, created on first use.
    async fn caller(&mut self, org: &Org) -> Result<Caller> {
        if let Some(c) = self.callers.get(&org.id) {
            return Ok(c.clone());
        }
        let username = format!("demo-sys-{}", org.id);
        let id = match accounts::user_id_by_username(self.db(), &username).await? {
            Some(id) => id,
            None => {
                let mut tx = self.db().begin().await?;
                let id = accounts::insert_user(
                    &mut tx,
                    &Actor::system("demo"),
                    &NewUser {
                        username: username.clone(),
                        display_name: format!("演示系统账户（{}）", org.name),
                        org_id: org.id,
                        // Roles share their codes with organisation kinds.
                        role: org.kind.clone(),
                        password_hash: None,
                    },
                )
                .await?;
                tx.commit().await?;
                id
            }
        };
        let principal = accounts::principal(self.db(), id)
            .await?
            .ok_or_else(|| anyhow!("找不到演示系统账户 {username}"))?;
        let c = Caller {
            principal,
            csrf: None,
            session_hash: None,
            request_id: None,
            unread: None,
        };
        self.callers.insert(org.id, c.clone());
        Ok(c)
    }

    /// The system user of a built-in organisation (unit code or division code).
    async fn builtin(&mut self, code: &str) -> Result<Caller> {
        let org = store::orgs::get_by_code(self.db(), code)
            .await?
            .ok_or_else(|| anyhow!("找不到机构 {code}"))?;
        self.caller(&org).await
    }

    async fn district_of(&mut self, ent: &Org) -> Result<Caller> {
        let code = ent
            .district
            .clone()
            .ok_or_else(|| anyhow!("企业 {} 没有所属区县", ent.name))?;
        self.builtin(&code).await
    }

    async fn create(&mut self, who: &Caller, kind: &str, data: Value) -> Result<i64> {
        let map = data.as_object().cloned().unwrap_or_default();
        let data = web::features::applications::parse_json_data(kind, &map)
            .map_err(|e| anyhow!("演示申报数据无效（{kind}）：{e}"))?;
        let app = web::features::applications::create_draft(&self.state, who, kind, data)
            .await
            .map_err(|e| anyhow!("无法创建演示申报（{kind}）：{e}"))?;
        self.created += 1;
        Ok(app.id)
    }

    /// Performs an action on the application as currently stored.
    async fn act(&self, who: &Caller, id: i64, action: Action) -> Result<()> {
        let version = store::applications::get(self.db(), id)
            .await?
            .ok_or_else(|| anyhow!("找不到演示申报 {id}"))?
            .version;
        let label = action.kind().label();
        web::features::applications::act(&self.state, who, id, version, action, None)
            .await
            .map_err(|e| anyhow!("演示申报 {id} 无法{label}：{e}"))?;
        Ok(())
    }

    async fn approve(&mut self, code: &str, id: i64, comment: &str) -> Result<()> {
        let who = self.builtin(code).await?;
        self.act(
            &who,
            id,
            Action::Approve {
                comment: Some(comment.to_string()),
            },
        )
        .await
    }

    async fn unit_do(&mut self, code: &str, id: i64, action: Action) -> Result<()> {
        let who = self.builtin(code).await?;
        self.act(&who, id, action).await
    }

    /// Makes the current review stage overdue (simulated elapsed time, see the module docs):
    /// the row's deadline, the state's and the pending reviewers'.
    async fn make_overdue(&self, id: i64, which: usize) -> Result<()> {
        let (started, due) = OVERDUE[which % OVERDUE.len()];
        self.set_due(id, started, due).await
    }

    /// Moves the current stage's start and deadline (state, row and pending reviewers).
    async fn set_due(&self, id: i64, started: &str, due: &str) -> Result<()> {
        self.set_state_dates(id, Some(started), due).await?;
        sqlx::query("UPDATE applications SET due_date = $1 WHERE id = $2")
            .bind(due)
            .bind(id)
            .execute(self.db().pool())
            .await?;
        sqlx::query("UPDATE application_pending SET due_date = $1 WHERE application_id = $2")
            .bind(due)
            .bind(id)
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    async fn set_state_dates(&self, id: i64, started: Option<&str>, due: &str) -> Result<()> {
        let app = store::applications::get(self.db(), id)
            .await?
            .ok_or_else(|| anyhow!("找不到演示申报 {id}"))?;
        let mut st: Value = serde_json::from_str(&app.state_json)?;
        st["due"] = json!(due);
        if let Some(s) = started {
            st["stage_started"] = json!(s);
        }
        sqlx::query("UPDATE applications SET state_json = $1 WHERE id = $2")
            .bind(st.to_string())
            .bind(id)
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    // ----- Cultivation -----

    fn cultivation_form(&mut self, partners: u32) -> Value {
        let school = self
            .schools
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or_else(|| "重庆某职业技术学院".to_string());
        let major = MAJORS.choose(&mut self.rng).copied().unwrap_or("软件技术");
        let summary = if partners == 0 {
            "拟与区内职业院校洽谈合作，目前尚未签订合作协议。".to_string()
        } else {
            format!(
                "与{school}等{partners}所院校签订校企合作协议，合作开办{major}专业订单班，\
                 共建校外实习实训基地，年接收实习学生{}人。",
                self.rng.gen_range(20..=150)
            )
        };
        json!({"cooperation_summary": summary, "partner_schools": partners})
    }

    async fn cultivation_submitted(&mut self, ent: &Org, partners: u32) -> Result<i64> {
        let me = self.caller(ent).await?;
        let data = self.cultivation_form(partners);
        let id = self.create(&me, "enterprise_cultivation", data).await?;
        self.act(&me, id, Action::Submit).await?;
        Ok(id)
    }

    async fn district_approve(&mut self, ent: &Org, id: i64) -> Result<()> {
        let dis = self.district_of(ent).await?;
        let comment = [
            "材料齐全，情况属实，同意上报。",
            "经现场核查，校企合作情况属实，同意推荐。",
        ]
        .choose(&mut self.rng)
        .copied()
        .unwrap_or("同意。");
        self.act(
            &dis,
            id,
            Action::Approve {
                comment: Some(comment.to_string()),
            },
        )
        .await
    }

    async fn cultivated(&mut self, ent: &Org) -> Result<i64> {
        let partners = self.rng.gen_range(1..=4);
        let id = self.cultivation_submitted(ent, partners).await?;
        self.district_approve(ent, id).await?;
        self.approve("fgw", id, "符合培育库入库条件，同意入库。")
            .await?;
        Ok(id)
    }

    // ----- Certification -----

    fn certification_form(&mut self, form: Form) -> Value {
        let r = &mut self.rng;
        // Payroll 30 million to 300 million yuan; training funds 1.6–3.5% (0.5–1.0% if low).
        let payroll_yuan: i64 = r.gen_range(3_000..=30_000) * 10_000;
        let permille: i64 = if form == Form::LowTrainingFunds {
            r.gen_range(5..=10)
        } else {
            r.gen_range(16..=35)
        };
        let mut d = json!({
            "years_in_operation": r.gen_range(4..=25),
            "credit_record_clean": true,
            "payroll_fen": payroll_yuan * 100,
            "staff_training_funds_fen": payroll_yuan * permille / 1000 * 100,
            "has_cooperation_unit": true,
            "runs_school": r.gen_bool(0.15),
            "co_built_majors": r.gen_range(1..=6),
            "industry_college": r.gen_bool(0.4),
            "training_base": true,
            "apprenticeship_pilot": r.gen_bool(0.6),
            "order_class_students": r.gen_range(40..=200),
            "cooperation_years": r.gen_range(3..=12),
            "investment_fen": r.gen_range(300..=2_000) * 10_000 * 100i64,
            "students_hosted": r.gen_range(120..=600),
            "apprentices": r.gen_range(40..=150),
            "teachers_trained": r.gen_range(30..=120),
        });
        match form {
            Form::TooYoung => {
                d["years_in_operation"] = json!(1);
                d["cooperation_years"] = json!(1);
            }
            Form::NoParticipation => {
                for k in [
                    "runs_school",
                    "industry_college",
                    "training_base",
                    "apprenticeship_pilot",
                ] {
                    d[k] = json!(false);
                }
                d["co_built_majors"] = json!(0);
                d["order_class_students"] = json!(0);
                d["cooperation_years"] = json!(1);
                d["students_hosted"] = json!(8);
                d["apprentices"] = json!(0);
                d["teachers_trained"] = json!(0);
                d["investment_fen"] = json!(5_000_000);
            }
            Form::LowScore => {
                d["investment_fen"] = json!(20_000_000);
                d["students_hosted"] = json!(15);
                d["apprentices"] = json!(3);
                d["teachers_trained"] = json!(2);
            }
            Form::Eligible | Form::LowTrainingFunds => {}
        }
        d
    }

    /// Cultivation approved, then a certification submitted; returns both ids.
    async fn certification_submitted(&mut self, ent: &Org, form: Form) -> Result<(i64, i64)> {
        let cultivation = self.cultivated(ent).await?;
        let me = self.caller(ent).await?;
        let data = self.certification_form(form);
        let id = self.create(&me, "enterprise_certification", data).await?;
        self.act(&me, id, Action::Submit).await?;
        Ok((cultivation, id))
    }

    async fn lead_approve(&mut self, id: i64, unit: &str) -> Result<()> {
        let comment = if unit == "fgw" {
            "符合认定基本条件，同意提交联合审核。"
        } else {
            "校企合作育人成效明显，同意。"
        };
        self.approve(unit, id, comment).await
    }

    async fn joint_approve(&mut self, id: i64, unit: &str) -> Result<()> {
        let comment = match unit {
            "rsj" => "经核查，企业无欠缴社会保险费记录，同意。",
            "sw" => "经核查，企业纳税信用良好，同意。",
            "czj" => "无异议。",
            "gzw" => "同意。",
            _ => "企业参与职业教育情况属实，同意。",
        };
        self.approve(unit, id, comment).await
    }

    /// From submitted to the start of publicity.
    async fn through_joint_review(&mut self, ent: &Org, id: i64) -> Result<()> {
        self.district_approve(ent, id).await?;
        for u in ["fgw", "jw"] {
            self.lead_approve(id, u).await?;
        }
        for u in JOINT {
            self.joint_approve(id, u).await?;
        }
        Ok(())
    }

    /// Ends the publicity period (simulated elapsed time) and concludes it.
    async fn conclude(&mut self, id: i64) -> Result<()> {
        self.set_state_dates(id, None, PUBLICITY_ENDED).await?;
        self.unit_do("fgw", id, Action::ConcludePublicity).await
    }

    /// A re-evaluation run through its stages and backdated to before the certification's
    /// end ([`BACKDATED_REEVALUATION`]), which renews the certification.
    async fn reevaluated(&mut self, ent: &Org) -> Result<()> {
        let me = self.caller(ent).await?;
        let data = self.certification_form(Form::Eligible);
        let id = self.create(&me, "reevaluation", data).await?;
        self.act(&me, id, Action::Submit).await?;
        for u in ["fgw", "jw"] {
            self.approve(u, id, "复核材料齐全，认定条件仍然满足，同意。")
                .await?;
        }
        self.conclude(id).await?;
        self.approve("fgw", id, "复核通过，继续认定为市级产教融合型企业。")
            .await?;
        self.backdate(id, BACKDATED_REEVALUATION).await
    }

    async fn object(&mut self, unit: &str, id: i64, text: &str) -> Result<()> {
        self.unit_do(
            unit,
            id,
            Action::Object {
                text: text.to_string(),
            },
        )
        .await
    }

    async fn resolve(&mut self, id: i64, upheld: bool, comment: &str) -> Result<()> {
        self.unit_do(
            "fgw",
            id,
            Action::ResolveObjection {
                id: 1,
                upheld,
                comment: comment.to_string(),
            },
        )
        .await
    }

    async fn reject(&mut self, code: &str, id: i64, reason: &str) -> Result<()> {
        self.unit_do(
            code,
            id,
            Action::Reject {
                reason: reason.to_string(),
            },
        )
        .await
    }

    async fn send_back(&mut self, code: &str, id: i64, comment: &str) -> Result<()> {
        self.unit_do(
            code,
            id,
            Action::Return {
                comment: comment.to_string(),
            },
        )
        .await
    }

    async fn run(&mut self, plan: Plan, ent: &Org) -> Result<()> {
        match plan {
            Plan::CultDistrict { overdue } => {
                let partners = self.rng.gen_range(1..=3);
                let id = self.cultivation_submitted(ent, partners).await?;
                if let Some(w) = overdue {
                    self.make_overdue(id, w).await?;
                }
            }
            Plan::CultFgw => {
                let partners = self.rng.gen_range(1..=3);
                let id = self.cultivation_submitted(ent, partners).await?;
                self.district_approve(ent, id).await?;
            }
            Plan::CultReturned => {
                let id = self.cultivation_submitted(ent, 1).await?;
                let dis = self.district_of(ent).await?;
                self.act(
                    &dis,
                    id,
                    Action::Return {
                        comment: "校企合作情况简述过于简略，请补充合作院校名称、合作专业、\
                                  合作起止时间，并上传已签订的合作协议。"
                            .to_string(),
                    },
                )
                .await?;
            }
            Plan::CultRejected => {
                let id = self.cultivation_submitted(ent, 0).await?;
                let dis = self.district_of(ent).await?;
                self.act(
                    &dis,
                    id,
                    Action::Reject {
                        reason: "企业尚未与职业院校建立实质性合作关系，不符合培育库入库条件。"
                            .to_string(),
                    },
                )
                .await?;
            }
            Plan::Cultivated => {
                self.cultivated(ent).await?;
            }
            Plan::CertDraft => {
                self.cultivated(ent).await?;
                let me = self.caller(ent).await?;
                let data = self.certification_form(Form::Eligible);
                self.create(&me, "enterprise_certification", data).await?;
            }
            Plan::CertDistrict { form, overdue } => {
                let (_, id) = self.certification_submitted(ent, form).await?;
                if let Some(w) = overdue {
                    self.make_overdue(id, w).await?;
                }
            }
            Plan::CertLead { done, overdue } => {
                let (_, id) = self.certification_submitted(ent, Form::Eligible).await?;
                self.district_approve(ent, id).await?;
                if let Some(u) = done {
                    self.lead_approve(id, u).await?;
                }
                if let Some(w) = overdue {
                    self.make_overdue(id, w).await?;
                }
            }
            Plan::CertJoint { done, overdue } => {
                let (_, id) = self.certification_submitted(ent, Form::Eligible).await?;
                self.district_approve(ent, id).await?;
                for u in ["fgw", "jw"] {
                    self.lead_approve(id, u).await?;
                }
                for u in JOINT.iter().take(done) {
                    self.joint_approve(id, u).await?;
                }
                if let Some(w) = overdue {
                    self.make_overdue(id, w).await?;
                }
            }
            Plan::CertPublicity { objection } => {
                let (_, id) = self.certification_submitted(ent, Form::Eligible).await?;
                self.through_joint_review(ent, id).await?;
                if objection {
                    self.object(
                        "jxw",
                        id,
                        "该企业申报的订单班学生人数与合作院校备案人数差异较大，\
                         请核实订单班实际开班情况。",
                    )
                    .await?;
                }
            }
            Plan::CertDecision => {
                // Filed in the autumn; publicity ended; the decision stage began on
                // 2026-11-30 with its deadline from then — a history whose dates hold.
                let (cultivation, id) = self.certification_submitted(ent, Form::Eligible).await?;
                self.through_joint_review(ent, id).await?;
                self.conclude(id).await?;
                self.backdate(cultivation, RECENT_CULTIVATION).await?;
                self.backdate_open(id, AUTUMN_CERTIFICATION).await?;
            }
            Plan::CertReturned { at } => {
                let (_, id) = self.certification_submitted(ent, Form::Eligible).await?;
                match at {
                    At::District => {
                        let dis = self.district_of(ent).await?;
                        self.act(
                            &dis,
                            id,
                            Action::Return {
                                comment: "请补充与合作院校签订的校企合作协议，\
                                          以及近三年接收实习实训学生名册。"
                                    .to_string(),
                            },
                        )
                        .await?;
                    }
                    At::Lead => {
                        self.district_approve(ent, id).await?;
                        self.lead_approve(id, "fgw").await?;
                        self.send_back(
                            "jw",
                            id,
                            "订单班学生人数与合作院校报送数据不一致，\
                             请核实后修改，并附合作院校盖章证明。",
                        )
                        .await?;
                    }
                    At::Joint => {
                        self.district_approve(ent, id).await?;
                        for u in ["fgw", "jw"] {
                            self.lead_approve(id, u).await?;
                        }
                        self.joint_approve(id, "jxw").await?;
                        self.send_back(
                            "rsj",
                            id,
                            "在岗学徒人数缺少劳动合同及社会保险缴纳证明，请补充后重新提交。",
                        )
                        .await?;
                    }
                }
            }
            Plan::CertRejected { at, form } => {
                let (_, id) = self.certification_submitted(ent, form).await?;
                let reason = match form {
                    Form::LowTrainingFunds => {
                        "经核查，企业上年度职工教育经费占职工工资总额比例低于1.5%，\
                         不符合认定基本条件。"
                    }
                    Form::TooYoung => "企业注册成立不满2年，不符合认定基本条件。",
                    Form::NoParticipation => {
                        "企业未开展校企共建专业、实训基地、学徒制或订单班等实质性合作，\
                         不符合认定条件。"
                    }
                    Form::LowScore | Form::Eligible => "综合评分低于认定最低分，不予认定。",
                };
                match at {
                    At::District => {
                        let dis = self.district_of(ent).await?;
                        self.act(
                            &dis,
                            id,
                            Action::Reject {
                                reason: reason.to_string(),
                            },
                        )
                        .await?;
                    }
                    At::Lead => {
                        self.district_approve(ent, id).await?;
                        self.reject("fgw", id, reason).await?;
                    }
                    At::Joint => {
                        self.district_approve(ent, id).await?;
                        for u in ["fgw", "jw"] {
                            self.lead_approve(id, u).await?;
                        }
                        self.reject("czj", id, reason).await?;
                    }
                }
            }
            Plan::CertObjectionUpheld => {
                let (_, id) = self.certification_submitted(ent, Form::Eligible).await?;
                self.through_joint_review(ent, id).await?;
                self.object(
                    "rsj",
                    id,
                    "据劳动保障监察记录，该企业本年度存在拖欠职工工资问题，\
                     与申报材料中“信用记录良好”的表述不符。",
                )
                .await?;
                self.resolve(
                    id,
                    true,
                    "经核实异议属实，企业存在拖欠职工工资的失信行为，不予认定。",
                )
                .await?;
            }
            Plan::CertWithdrawn { returned_first } => {
                let (_, id) = self.certification_submitted(ent, Form::Eligible).await?;
                if returned_first {
                    let dis = self.district_of(ent).await?;
                    self.act(
                        &dis,
                        id,
                        Action::Return {
                            comment: "职工教育经费支出凭证不清晰，请重新扫描上传。".to_string(),
                        },
                    )
                    .await?;
                }
                let me = self.caller(ent).await?;
                self.act(&me, id, Action::Withdraw).await?;
            }
            Plan::Certified {
                objection,
                tax,
                national,
            } => {
                let (cultivation, id) = self.certification_submitted(ent, Form::Eligible).await?;
                self.through_joint_review(ent, id).await?;
                if objection {
                    self.object("jw", id, "有群众反映该企业安排实习学生夜间加班，请核查。")
                        .await?;
                    self.resolve(
                        id,
                        false,
                        "经约谈企业及合作院校核查，实习安排符合《职业学校学生实习管理规定》，\
                         异议不成立。",
                    )
                    .await?;
                }
                self.conclude(id).await?;
                self.approve("fgw", id, "同意认定为市级产教融合型企业。")
                    .await?;
                if tax == Tax::None {
                    // Certified this autumn: a history whose dates (and publicity) hold.
                    self.backdate(cultivation, RECENT_CULTIVATION).await?;
                    self.backdate(id, RECENT_CERTIFICATION).await?;
                } else {
                    // Re-evaluated while the certification is in force (as it was in
                    // spring 2026), then both histories moved to their simulated dates.
                    self.reevaluated(ent).await?;
                    self.backdate(cultivation, BACKDATED_CULTIVATION).await?;
                    self.backdate(id, BACKDATED_CERTIFICATION).await?;
                    self.tax_claims(ent, tax).await?;
                }
                self.national(ent, national).await?;
            }
        }
        Ok(())
    }

    /// Moves an application's history into the past (simulated elapsed time): its
    /// timestamps and its history lines, spread evenly from `from` to `to`, and its inbox
    /// items. The tax-credit ledger counts an enterprise as certified from the year its
    /// certification was granted (the approval in the history), and in the demo every
    /// decision is taken today, so without this the claims of earlier years would all be
    /// "not certified". Audit entries keep their real time: the audit chain is never edited.
    /// [`Self::backdate`] for a case still in review: not decided, its current stage begun at
    /// the window's end with the deadline its parameter gives from then.
    async fn backdate_open(&self, id: i64, window: (i64, i64)) -> Result<()> {
        self.backdate(id, window).await?;
        let app = store::applications::get(self.db(), id)
            .await?
            .ok_or_else(|| anyhow!("申报 {id} 不存在"))?;
        let kind = web::features::applications::kind_of(&app.kind).map_err(|e| anyhow!("{e}"))?;
        let day = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(domain::calendar::shanghai_date)
                .context("时间无效")
        };
        let started = day(window.1)?;
        let filed = day(app.submitted_at.context("未提交")?)?;
        let stage = kind.stage(app.stage as usize).context("阶段无效")?;
        let (days, _) = self
            .state
            .params
            .integer(stage.deadline.key(), filed)
            .map_err(|e| anyhow!("{e}"))?;
        let due = self
            .state
            .calendar
            .add_working_days(started, u32::try_from(days)?);
        sqlx::query("UPDATE applications SET decided_at = NULL WHERE id = $1")
            .bind(id)
            .execute(self.db().pool())
            .await?;
        self.set_due(
            id,
            &started.format("%Y-%m-%d").to_string(),
            &due.format("%Y-%m-%d").to_string(),
        )
        .await
    }

    async fn backdate(&self, id: i64, (from, to): (i64, i64)) -> Result<()> {
        let pool = self.db().pool();
        let events: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM application_events WHERE application_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let steps = (events.len() as i64 - 1).max(1);
        let days = (to - from) / 86_400;
        // Whole days after `from` (same time of day), the last line exactly at `to`.
        let at = |k: i64| {
            if k >= steps {
                to
            } else {
                from + days * k / steps * 86_400
            }
        };
        for (k, ev) in events.iter().enumerate() {
            sqlx::query("UPDATE application_events SET at = $1 WHERE id = $2")
                .bind(at(k as i64))
                .bind(ev)
                .execute(pool)
                .await?;
        }
        // The first history line after the draft is the submission.
        let submitted = at(1);
        sqlx::query(
            "UPDATE applications SET created_at = $1, submitted_at = $2, decided_at = $3, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(from)
        .bind(submitted)
        .bind(to)
        .bind(id)
        .execute(pool)
        .await?;
        sqlx::query("UPDATE inbox SET created_at = $1 WHERE application_id = $2")
            .bind(to)
            .bind(id)
            .execute(pool)
            .await?;
        // The decision is the case's: its rule evaluated as of the (simulated) submission
        // date, so the explanation cites the parameters in force then, not today's.
        let app = store::applications::get(self.db(), id)
            .await?
            .ok_or_else(|| anyhow!("申报 {id} 不存在"))?;
        let kind = web::features::applications::kind_of(&app.kind).map_err(|e| anyhow!("{e}"))?;
        let data: Value = serde_json::from_str(&app.data_json)?;
        let day = chrono::DateTime::from_timestamp(submitted, 0)
            .map(domain::calendar::shanghai_date)
            .context("提交时间无效")?;
        if let Some(d) =
            web::features::applications::evaluate_rule(&self.state, kind, &app, &data, day)
                .await
                .map_err(|e| anyhow!("{e}"))?
        {
            sqlx::query(
                "UPDATE application_decisions SET decision_json = $1 WHERE application_id = $2",
            )
            .bind(d.to_string())
            .bind(id)
            .execute(pool)
            .await?;
        }
        self.redate_publicity(id, kind, day).await
    }

    /// After [`Self::backdate`]: the history line that opened the publicity names the period's
    /// end; it is recomputed from the line's simulated date and the period in force on the
    /// filing date, in the history and the inbox, and the period must have ended before the
    /// next line (the conclusion).
    async fn redate_publicity(
        &self,
        id: i64,
        kind: &domain::workflow::Kind,
        filed: chrono::NaiveDate,
    ) -> Result<()> {
        const MARK: &str = "公示期至";
        let pool = self.db().pool();
        let Some(stage) = kind
            .stages
            .iter()
            .find(|s| matches!(s.step, domain::workflow::StepKind::Publicity { .. }))
        else {
            return Ok(());
        };
        let (days, _) = self
            .state
            .params
            .integer(stage.deadline.key(), filed)
            .map_err(|e| anyhow!("{e}"))?;
        let events: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, at, summary FROM application_events WHERE application_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let day_of = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(domain::calendar::shanghai_date)
                .context("时间无效")
        };
        for (i, (ev, at, summary)) in events.iter().enumerate() {
            let Some((head, rest)) = summary.split_once(MARK) else {
                continue;
            };
            let Some(old_end) = rest.find('日').map(|n| &rest[..n + '日'.len_utf8()]) else {
                continue;
            };
            let end = self
                .state
                .calendar
                .add_working_days(day_of(*at)?, u32::try_from(days)?);
            let new_end = domain::workflow::zh_date(end);
            if let Some((_, next_at, _)) = events.get(i + 1) {
                anyhow::ensure!(
                    day_of(*next_at)? > end,
                    "演示数据：申报 {id} 的公示在公示期满（{new_end}）前结束"
                );
            }
            let fixed = format!("{head}{MARK}{new_end}{}", &rest[old_end.len()..]);
            sqlx::query("UPDATE application_events SET summary = $1 WHERE id = $2")
                .bind(&fixed)
                .bind(ev)
                .execute(pool)
                .await?;
            let texts: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, text FROM inbox WHERE application_id = $1")
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
            for (item, text) in texts {
                let old = format!("{MARK}{old_end}");
                if text.contains(&old) {
                    sqlx::query("UPDATE inbox SET text = $1 WHERE id = $2")
                        .bind(text.replace(&old, &format!("{MARK}{new_end}")))
                        .bind(item)
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    fn claim_form(&mut self, year: i64, withdrawn: bool) -> Value {
        let r = &mut self.rng;
        let investment = r.gen_range(300..=3_000) * 10_000 * 100i64;
        let tax_base = r.gen_range(2_000..=12_000) * 10_000 * 100i64;
        let (edu_red, local_red) = if r.gen_bool(0.2) {
            (tax_base * 3 / 100 / 10, tax_base * 2 / 100 / 10)
        } else {
            (0, 0)
        };
        json!({
            "year": year,
            "investment_fen": investment,
            "tax_base_fen": tax_base,
            "edu_reduction_fen": edu_red,
            "local_reduction_fen": local_red,
            "withdrawn_investment_fen": if withdrawn { investment / 10 } else { 0 },
            "evidence": format!(
                "{year}年度兴办职业教育投资协议、银行付款回单及会计师事务所专项审计报告"
            ),
        })
    }

    async fn tax_claims(&mut self, ent: &Org, tax: Tax) -> Result<()> {
        let (n, last) = match tax {
            Tax::None => return Ok(()),
            Tax::Ledger(n) => (n, None),
            Tax::LedgerPending(n) => (n, Some(false)),
            Tax::LedgerReturned(n) => (n, Some(true)),
        };
        let last_year = self.year - 1;
        // Verified years end the year before the last claim when one is still open.
        let end = if last.is_some() {
            last_year - 1
        } else {
            last_year
        };
        let start = (end - i64::from(n) + 1).max(2023);
        let me = self.caller(ent).await?;
        for year in start..=end {
            // One ledger shows an investment withdrawn (credit clawed back).
            let withdrawn = n >= 3 && year == end && ent.id % 2 == 0;
            let data = self.claim_form(year, withdrawn);
            let id = self.create(&me, "tax_credit_claim", data).await?;
            self.act(&me, id, Action::Submit).await?;
            self.approve("sw", id, "经核实，投资额与付款凭证、审计报告相符，同意。")
                .await?;
        }
        if let Some(returned) = last {
            let data = self.claim_form(last_year, false);
            let id = self.create(&me, "tax_credit_claim", data).await?;
            self.act(&me, id, Action::Submit).await?;
            if returned {
                self.send_back(
                    "sw",
                    id,
                    &format!(
                        "投资凭证不完整：请补充{last_year}年度向合作院校支付投资款的银行回单\
                         及院校出具的收款证明。"
                    ),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn national(&mut self, ent: &Org, national: National) -> Result<()> {
        if national == National::None {
            return Ok(());
        }
        let me = self.caller(ent).await?;
        let school = self
            .schools
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or_else(|| "合作院校".to_string());
        let highlights = format!(
            "企业与{school}共建产业学院，牵头组建行业产教融合共同体，近三年累计接收实习学生{}人、\
             培养现代学徒{}人，校企合作经验在全市同行业中具有示范引领作用。",
            self.rng.gen_range(300..=1_200),
            self.rng.gen_range(50..=300)
        );
        let id = self
            .create(
                &me,
                "national_recommendation",
                json!({"highlights": highlights}),
            )
            .await?;
        self.act(&me, id, Action::Submit).await?;
        self.approve("fgw", id, "同意推荐参加专家评审。").await?;
        if national == National::LeadOne {
            return Ok(());
        }
        self.approve("jw", id, "同意推荐参加专家评审。").await?;
        if national == (National::Scoring { scored: true }) {
            self.unit_do(
                "fgw",
                id,
                Action::Score {
                    score: 86,
                    comment: Some("校企合作模式成熟，人才培养成效显著，示范带动作用明显。".into()),
                },
            )
            .await?;
        }
        Ok(())
    }
}
