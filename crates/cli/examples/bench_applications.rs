//! Benchmark of issue 4: with 100,000 applications and 20,000 tax ledgers in the database, a
//! reviewer's queue page must answer with p99 < 50 ms, and a transition with p99 < 30 ms while
//! 16 reviewers act at once — on SQLite and on PostgreSQL.
//!
//!   cargo run --release -p cli --example bench_applications -- \
//!       --database-url URL [--label NAME] [--secs 15] [--apps 100000] [--ledgers 20000] \
//!       [--transitions-only] [--back-to-back-only] [--reuse | --load-only] [--in-process | --server URL]
//!
//! `--reuse` measures again on a database this benchmark loaded before (a copy of it: the
//! transitions move its applications on); `--load-only` loads and stops (the base of such
//! copies); `--transitions-only` skips the queue measurements, `--back-to-back-only` also the
//! paced and the 1- and 4-reviewer transitions.
//!
//! The database must already hold the demo organisations (`chanjiao demo --scale 5`, at least
//! 25,000 enterprises) and no applications; `bench/applications.sh` prepares it.
//!
//! 1. Loads applications in realistic states. Every state is produced by driving the pure
//!    workflow (`domain::workflow::apply`) in memory with synthetic actors and dates; the
//!    query columns, the history and the awaited reviewers (`web::features::applications::pending_keys`)
//!    are derived from it exactly as `web::features::applications::act` derives them. Multi-row INSERTs
//!    in one transaction (positional `?` on SQLite, `$n` on PostgreSQL).
//! 2. Starts the server binary (`target/release/chanjiao serve`, built beside this example) on a
//!    free port, in a process of its own as in production; `--in-process` serves `web::app` on
//!    this process's runtime instead, where the clients' tasks queue with the server's.
//! 3. Queue: 8 concurrent clients read the first page of a busy reviewer's queue, over the
//!    API (bearer token) and as the HTML page (session cookie), for `--secs` each.
//! 4. Transitions: 16 reviewers (16 identities, each with its own token) each take the first
//!    application of their own queue and approve it: first at a fixed pace (one approval per
//!    100 ms, then per 50 ms, per reviewer, 5 s each), then as fast as they can for 5 s
//!    (saturation: the latency is then mostly the wait behind the other 15), then batched
//!    (4 s), then 1 and 4 reviewers (`--secs`/3 each). The 9 district reviewers are the 9
//!    districts with the most awaiting them; every measurement reports how many reviewers ran
//!    out of work (`queues_dry`).
//!
//! Every measurement is printed as a `RESULT` line (latencies in milliseconds, measured by the
//! client over loopback; server, clients and PostgreSQL sharing the machine's cores, the cores
//! each kept busy reported with it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::calendar::Calendar;
use domain::orgs::Role;
use domain::workflow::{self, Action, Kind, Mode, Reviewers, State, Status, StepKind};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::Row;
use store::{Actor, Backend, Db};
use tokio::sync::Mutex;

const PASSWORD: &str = "Bench-Passw0rd!";
const SEED: u64 = 4;
/// How far back the synthetic calendar reaches (the oldest ledger starts in 2021).
const DAYS_BACK: usize = 2700;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = std::result::Result<T, BoxError>;

struct Args {
    url: String,
    label: String,
    secs: u64,
    apps: usize,
    ledgers: usize,
    /// Measure on a database this benchmark has already loaded (for repeated experiments).
    reuse: bool,
    /// Skip the queue measurements.
    transitions_only: bool,
    /// Load the applications and stop (a base for repeated `--reuse` experiments on copies).
    load_only: bool,
    /// Only the transitions by 16 reviewers back to back (for experiments).
    back_to_back_only: bool,
    /// Serve in this process, on the clients' runtime, instead of running the server binary.
    in_process: bool,
    /// Measure a server already running at this base URL (e.g. one started under a profiler)
    /// on the same database.
    server: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        label: "bench".into(),
        secs: 15,
        apps: 100_000,
        ledgers: 20_000,
        reuse: false,
        transitions_only: false,
        load_only: false,
        back_to_back_only: false,
        in_process: false,
        server: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--reuse" => a.reuse = true,
            "--transitions-only" => a.transitions_only = true,
            "--load-only" => a.load_only = true,
            "--back-to-back-only" => a.back_to_back_only = true,
            "--in-process" => a.in_process = true,
            "--database-url" => a.url = val(),
            "--label" => a.label = val(),
            "--server" => a.server = Some(val()),
            "--secs" => a.secs = val().parse().expect("--secs N"),
            "--apps" => a.apps = val().parse().expect("--apps N"),
            "--ledgers" => a.ledgers = val().parse().expect("--ledgers N"),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(!a.url.is_empty(), "--database-url is required");
    a
}

// ---------------------------------------------------------------------------------------------
// Synthetic history: dates are "days ago" (0 = today, Asia/Shanghai), turned into the
// workflow's dates by parsing their ISO form (the example has no direct chrono dependency).

struct Days {
    /// `iso[n]` is the date n days ago.
    iso: Vec<String>,
    index: HashMap<String, i64>,
    now: i64,
}

impl Days {
    fn new() -> Days {
        let mut d = domain::calendar::today_shanghai();
        let mut iso = Vec::with_capacity(DAYS_BACK);
        for _ in 0..DAYS_BACK {
            iso.push(d.format("%Y-%m-%d").to_string());
            d = d.pred_opt().expect("date in range");
        }
        let index = iso
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as i64))
            .collect();
        Days {
            iso,
            index,
            now: store::now(),
        }
    }

    /// Days ago of the first day of `year`.
    fn start_of(&self, year: i32) -> i64 {
        self.index[&format!("{year}-01-01")]
    }

    /// A unix time on the day `ago`, `seq` minutes into the working day.
    fn ts(&self, ago: i64, seq: i64) -> i64 {
        let midnight_shanghai = self.now - self.now.rem_euclid(86_400) - 8 * 3600;
        midnight_shanghai - ago * 86_400 + 9 * 3600 + seq * 60
    }
}

/// How far to drive an application.
#[derive(Clone, Copy, Debug)]
enum Target {
    Draft,
    /// In stage `stage`, where the first `acted` of its reviewers have already acted.
    Stage {
        stage: usize,
        acted: usize,
    },
    Returned {
        stage: usize,
    },
    Rejected {
        stage: usize,
    },
    Approved,
}

struct EventRow {
    at: i64,
    actor_org_id: Option<i64>,
    actor: String,
    action: &'static str,
    from_status: Option<String>,
    to_status: String,
    stage_code: Option<String>,
    summary: String,
    comment: Option<String>,
}

struct AppRow {
    id: i64,
    kind: &'static Kind,
    org_id: i64,
    district: Option<String>,
    title: String,
    year: Option<i64>,
    state: State,
    data_json: String,
    version: i64,
    submitted_at: Option<i64>,
    decided_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    events: Vec<EventRow>,
}

fn applicant(org_id: i64, district: Option<&str>) -> workflow::Actor {
    workflow::Actor {
        role: Role::Enterprise,
        org_id,
        unit_code: None,
        district: district.map(str::to_string),
        is_applicant: true,
    }
}

/// The synthetic reviewers of a stage, in the order they act, and how many must act to
/// complete it.
fn stage_actors(
    kind: &Kind,
    stage: usize,
    district: Option<&str>,
) -> (Vec<workflow::Actor>, usize) {
    let s = kind.stage(stage).expect("stage");
    let actors: Vec<workflow::Actor> = match s.actors() {
        Reviewers::Units(list) => list
            .iter()
            .map(|u| workflow::Actor {
                role: Role::Department,
                org_id: 0,
                unit_code: Some(u.clone()),
                district: None,
                is_applicant: false,
            })
            .collect(),
        Reviewers::DistrictOfApplicant => vec![workflow::Actor {
            role: Role::District,
            org_id: 0,
            unit_code: None,
            district: district.map(str::to_string),
            is_applicant: false,
        }],
        Reviewers::Role(r) => vec![workflow::Actor {
            role: *r,
            org_id: 0,
            unit_code: None,
            district: None,
            is_applicant: false,
        }],
        // The shipped kinds the bench drives name no reviewer by a field.
        Reviewers::Field(name) => panic!("the bench does not drive field reviewers ({name})"),
    };
    let needed = match &s.step {
        StepKind::Review {
            mode: Mode::Any, ..
        }
        | StepKind::Publicity { .. } => 1,
        _ => actors.len(),
    };
    (actors, needed)
}

fn action_code(a: &Action) -> &'static str {
    match a {
        Action::Submit => "submit",
        Action::Approve { .. } => "approve",
        Action::Reject { .. } => "reject",
        Action::Return { .. } => "return",
        Action::Score { .. } => "score",
        Action::ConcludePublicity => "conclude_publicity",
        _ => "other",
    }
}

/// The shipped policy parameters, loaded once.
fn shipped_params() -> &'static policy::ParamSet {
    static PARAMS: std::sync::OnceLock<policy::ParamSet> = std::sync::OnceLock::new();
    PARAMS.get_or_init(|| policy::ParamSet::embedded().expect("shipped parameters load"))
}

/// A driven application: its state, its history, and when it was submitted and decided.
type Driven = (State, Vec<EventRow>, Option<i64>, Option<i64>);

/// Drives a fresh draft of `kind` to `target`, the first act `start` days ago.
#[allow(clippy::too_many_arguments)] // a generator of bench data, called from one place
fn drive(
    days: &Days,
    cal: &Calendar,
    rng: &mut StdRng,
    kind: &'static Kind,
    org_id: i64,
    district: Option<&str>,
    start: i64,
    target: Target,
) -> Res<Driven> {
    let add = |d, n| cal.add_working_days(d, n);
    // Stage deadlines and pass marks as in force when the case was filed (its first act).
    let filed: chrono::NaiveDate = days.iso[start as usize].parse()?;
    let param = |key: &str| shipped_params().integer(key, filed).ok().map(|(v, _)| v);
    let mut state = workflow::new_draft();
    let mut ago = start;
    let mut seq = 0;
    let mut events = vec![EventRow {
        at: days.ts(ago, seq),
        actor_org_id: Some(org_id),
        actor: "申报单位".into(),
        action: "create",
        from_status: None,
        to_status: "draft".into(),
        stage_code: None,
        summary: "创建草稿".into(),
        comment: None,
    }];
    let mut decided = None;
    if matches!(target, Target::Draft) {
        return Ok((state, events, None, None));
    }
    let mut step = |state: &mut State,
                    action: Action,
                    actor: &workflow::Actor,
                    ago: i64,
                    events: &mut Vec<EventRow>|
     -> Res<()> {
        seq += 1;
        let ctx = workflow::Context {
            today: days.iso[ago as usize].parse()?,
            applicant_district: district,
            add_working_days: &add,
            param: &param,
            data: None,
        };
        let t = workflow::apply(kind, state, &action, actor, &ctx)
            .map_err(|e| format!("{} {:?}: {e}", kind.code, action))?;
        let in_flow = matches!(
            t.state.status,
            Status::InReview | Status::Publicity | Status::Returned
        );
        let who = if actor.is_applicant {
            "申报单位".to_string()
        } else {
            actor
                .unit_code
                .clone()
                .or(actor.district.clone())
                .unwrap_or_else(|| actor.role.as_str().to_string())
        };
        let comment = match &action {
            Action::Reject { reason } => Some(reason.clone()),
            Action::Return { comment } => Some(comment.clone()),
            _ => None,
        };
        events.push(EventRow {
            at: days.ts(ago, seq),
            actor_org_id: actor.is_applicant.then_some(org_id),
            actor: who,
            action: action_code(&action),
            from_status: Some(state.status.as_str().to_string()),
            to_status: t.state.status.as_str().to_string(),
            stage_code: if in_flow {
                kind.stage(t.state.stage).map(|s| s.code.clone())
            } else {
                None
            },
            summary: t.summary,
            comment,
        });
        *state = t.state;
        Ok(())
    };
    step(
        &mut state,
        Action::Submit,
        &applicant(org_id, district),
        ago,
        &mut events,
    )?;
    let submitted = Some(days.ts(ago, 1));
    loop {
        let i = state.stage;
        let (actors, needed) = stage_actors(kind, i, district);
        let stage = kind.stage(i).expect("stage");
        ago = (ago - rng.gen_range(0..=2)).max(0);
        match target {
            Target::Stage { stage: s, acted } if s == i => {
                for a in actors.iter().take(acted.min(needed.saturating_sub(1))) {
                    let act = match stage.step {
                        StepKind::Scoring { .. } => Action::Score {
                            score: rng.gen_range(60..=95),
                            comment: None,
                        },
                        _ => Action::Approve { comment: None },
                    };
                    step(&mut state, act, a, ago, &mut events)?;
                }
                return Ok((state, events, submitted, decided));
            }
            Target::Returned { stage: s } if s == i => {
                let act = Action::Return {
                    comment: "请补充近三年投入职业教育资金的凭证".into(),
                };
                step(&mut state, act, &actors[0], ago, &mut events)?;
                return Ok((state, events, submitted, decided));
            }
            Target::Rejected { stage: s } if s == i => {
                let act = Action::Reject {
                    reason: "不符合申报条件".into(),
                };
                step(&mut state, act, &actors[0], ago, &mut events)?;
                decided = Some(days.ts(ago, seq + 1));
                return Ok((state, events, submitted, decided));
            }
            _ => {}
        }
        for a in actors.iter().take(needed) {
            let act = match stage.step {
                StepKind::Review { .. } => Action::Approve { comment: None },
                StepKind::Scoring { .. } => Action::Score {
                    score: rng.gen_range(65..=95),
                    comment: None,
                },
                StepKind::Publicity { .. } => {
                    // The day after the period ends.
                    let due = state.due.expect("publicity has an end").format("%Y-%m-%d");
                    ago = (days.index[&due.to_string()] - 1).max(0);
                    Action::ConcludePublicity
                }
            };
            step(&mut state, act, a, ago, &mut events)?;
            ago = (ago - rng.gen_range(0..=1)).max(0);
        }
        if state.status == Status::Approved {
            decided = Some(days.ts(ago, seq + 1));
            return Ok((state, events, submitted, decided));
        }
    }
}

/// Picks a target from weighted choices.
fn pick(rng: &mut StdRng, choices: &[(u32, Target)]) -> Target {
    let total: u32 = choices.iter().map(|c| c.0).sum();
    let mut r = rng.gen_range(0..total);
    for (w, t) in choices {
        if r < *w {
            return *t;
        }
        r -= w;
    }
    choices[choices.len() - 1].1
}

fn cert_data(rng: &mut StdRng) -> Value {
    let payroll: i64 = rng.gen_range(2_000_000..200_000_000) * 100;
    json!({
        "years_in_operation": rng.gen_range(3..30),
        "credit_record_clean": rng.gen_bool(0.95),
        "payroll_fen": payroll,
        "staff_training_funds_fen": payroll / rng.gen_range(40..80),
        "has_cooperation_unit": rng.gen_bool(0.9),
        "runs_school": rng.gen_bool(0.2),
        "co_built_majors": rng.gen_range(0..6),
        "industry_college": rng.gen_bool(0.3),
        "training_base": rng.gen_bool(0.7),
        "apprenticeship_pilot": rng.gen_bool(0.3),
        "order_class_students": rng.gen_range(0..200),
        "cooperation_years": rng.gen_range(1..12),
        "investment_fen": rng.gen_range(10_000i64..5_000_000) * 100,
        "students_hosted": rng.gen_range(0..500),
        "apprentices": rng.gen_range(0..100),
        "teachers_trained": rng.gen_range(0..60),
    })
}

fn tax_data(rng: &mut StdRng, year: i32) -> Value {
    json!({
        "year": year,
        "investment_fen": rng.gen_range(100_000i64..20_000_000) * 100,
        "tax_base_fen": rng.gen_range(500_000i64..80_000_000) * 100,
        "edu_reduction_fen": 0,
        "local_reduction_fen": 0,
        "withdrawn_investment_fen": 0,
        "evidence": "投资协议、银行转账凭证及验资报告",
    })
}

fn data_for(rng: &mut StdRng, kind: &str, year: Option<i32>) -> Value {
    match kind {
        "enterprise_certification" => cert_data(rng),
        "enterprise_cultivation" => json!({
            "cooperation_summary": "与本区职业院校共建实训基地，开展订单班培养",
            "partner_schools": rng.gen_range(1..6),
        }),
        "national_recommendation" => json!({
            "highlights": "行业领军企业，牵头组建市域产教联合体，年接收实习学生逾千人",
        }),
        _ => tax_data(rng, year.unwrap_or(2025)),
    }
}

struct Generator<'a> {
    days: &'a Days,
    cal: Calendar,
    rng: StdRng,
    rows: Vec<AppRow>,
}

impl Generator<'_> {
    fn add(
        &mut self,
        kind: &'static Kind,
        org: &(i64, Option<String>),
        year: Option<i32>,
        start: i64,
        target: Target,
    ) -> Res<()> {
        let (state, events, submitted_at, decided_at) = drive(
            self.days,
            &self.cal,
            &mut self.rng,
            kind,
            org.0,
            org.1.as_deref(),
            start,
            target,
        )?;
        let title = match year {
            Some(y) => format!("{}（{}年度）", kind.title, y),
            None => kind.title.clone(),
        };
        let data = data_for(&mut self.rng, &kind.code, year);
        let id = self.rows.len() as i64 + 1;
        self.rows.push(AppRow {
            id,
            kind,
            org_id: org.0,
            district: org.1.clone(),
            title,
            year: year.map(i64::from),
            version: events.len() as i64,
            created_at: events[0].at,
            updated_at: events.last().map(|e| e.at).unwrap_or(events[0].at),
            state,
            data_json: data.to_string(),
            submitted_at,
            decided_at,
            events,
        });
        Ok(())
    }
}

fn generate(
    days: &Days,
    enterprises: &[(i64, Option<String>)],
    n_apps: usize,
    n_ledgers: usize,
) -> Res<Vec<AppRow>> {
    let kind = |c: &str| workflow::kind(c).ok_or_else(|| format!("no kind {c}"));
    let cult = kind("enterprise_cultivation")?;
    let cert = kind("enterprise_certification")?;
    let nat = kind("national_recommendation")?;
    let tax = kind("tax_credit_claim")?;
    let mut g = Generator {
        days,
        cal: Calendar::shipped(),
        rng: StdRng::seed_from_u64(SEED),
        rows: Vec::with_capacity(n_apps + n_ledgers * 6),
    };
    let mut shuffled = enterprises.to_vec();
    shuffled.shuffle(&mut g.rng);
    let ledgers = &shuffled[..n_ledgers.min(shuffled.len())];

    // The ledgers: an approved cultivation and certification, then 2–5 consecutive years of
    // verified claims within 2021–2025, each filed in the spring after its year.
    let mut last_year: Vec<(usize, i32)> = Vec::with_capacity(ledgers.len());
    for (i, org) in ledgers.iter().enumerate() {
        let len = g.rng.gen_range(2..=5);
        let first = g.rng.gen_range(2021..=2026 - len);
        let jan = days.start_of(first);
        g.add(cult, org, None, jan + 200, Target::Approved)?;
        let cert_start = jan - g.rng.gen_range(5..40);
        g.add(cert, org, None, cert_start, Target::Approved)?;
        for y in first..first + len {
            let filed = days.start_of(y + 1) - g.rng.gen_range(60..150);
            g.add(tax, org, Some(y), filed, Target::Approved)?;
        }
        last_year.push((i, first + len - 1));
    }
    let ledger_rows = g.rows.len();

    // The applications in every state. Cultivation and certification: any enterprise;
    // recommendation and claims: certified (ledger) enterprises.
    let s = |stage, acted| Target::Stage { stage, acted };
    // More than half the cultivations and two fifths of the certifications wait at the
    // district pre-review: the 9 district reviewers of the transition measurements (the busiest of 41
    // districts) then hold work through every measurement instead of running dry (which would
    // leave fewer than 16 reviewers acting).
    let cult_mix = [
        (8, Target::Draft),
        (56, s(0, 0)),
        (15, s(1, 0)),
        (3, Target::Returned { stage: 0 }),
        (2, Target::Returned { stage: 1 }),
        (10, Target::Approved),
        (3, Target::Rejected { stage: 0 }),
        (3, Target::Rejected { stage: 1 }),
    ];
    let cert_mix = [
        (6, Target::Draft),
        (42, s(0, 0)),
        (9, s(1, 0)),
        (5, s(1, 1)),
        (4, s(2, 0)),
        (3, s(2, 1)),
        (3, s(2, 2)),
        (2, s(2, 3)),
        (2, s(2, 4)),
        (5, s(3, 0)),
        (5, s(4, 0)),
        (2, Target::Returned { stage: 0 }),
        (2, Target::Returned { stage: 1 }),
        (1, Target::Returned { stage: 2 }),
        (3, Target::Approved),
        (3, Target::Rejected { stage: 0 }),
        (2, Target::Rejected { stage: 1 }),
        (2, Target::Rejected { stage: 2 }),
    ];
    let nat_mix = [
        (10, Target::Draft),
        (15, s(0, 0)),
        (10, s(0, 1)),
        (10, s(1, 0)),
        (10, s(1, 1)),
        (10, s(2, 0)),
        (20, Target::Approved),
        (15, Target::Rejected { stage: 0 }),
    ];
    let tax_mix = [
        (10, Target::Draft),
        (40, s(0, 0)),
        (5, Target::Returned { stage: 0 }),
        (35, Target::Approved),
        (10, Target::Rejected { stage: 0 }),
    ];
    // Claims for the year after each ledger's last, where that year is not past 2025.
    let open_years: Vec<(usize, i32)> = last_year
        .iter()
        .filter(|(_, y)| *y < 2025)
        .copied()
        .collect();
    let mut claimed: std::collections::HashSet<(usize, i32)> = std::collections::HashSet::new();
    for n in 0..n_apps {
        let r = n % 50;
        // 30% cultivation, 40% certification, 8% recommendation, 22% claims.
        let (k, target, org, year) = if r < 15 {
            let o = enterprises.choose(&mut g.rng).ok_or("no enterprises")?;
            (cult, pick(&mut g.rng, &cult_mix), o, None)
        } else if r < 35 {
            let o = enterprises.choose(&mut g.rng).ok_or("no enterprises")?;
            (cert, pick(&mut g.rng, &cert_mix), o, None)
        } else if r < 39 {
            let o = ledgers.choose(&mut g.rng).ok_or("no ledgers")?;
            (nat, pick(&mut g.rng, &nat_mix), o, None)
        } else {
            let (i, y) = open_years
                .choose(&mut g.rng)
                .copied()
                .ok_or("no open ledgers")?;
            let mut target = pick(&mut g.rng, &tax_mix);
            // One standing claim per enterprise and year (the database's unique index): a
            // second claim for a year already claimed is one that was rejected.
            if !matches!(target, Target::Rejected { .. }) && !claimed.insert((i, y + 1)) {
                target = Target::Rejected { stage: 0 };
            }
            (tax, target, &ledgers[i], Some(y + 1))
        };
        // In-flight ones started within the last three months; decided ones earlier.
        let start = match target {
            Target::Approved | Target::Rejected { .. } => g.rng.gen_range(100..600),
            _ => g.rng.gen_range(40..100),
        };
        let org = org.clone();
        g.add(k, &org, year, start, target)?;
    }
    println!(
        "generated {} applications ({} in ledgers, {} in the mix)",
        g.rows.len(),
        ledger_rows,
        g.rows.len() - ledger_rows
    );
    Ok(g.rows)
}

// ---------------------------------------------------------------------------------------------
// Bulk insert.

enum Val {
    I(i64),
    OI(Option<i64>),
    S(String),
    OS(Option<String>),
}

/// The rule's explanation of every application in review (or returned), as its submission
/// stored it: evaluated by the server's own `evaluate_rule`, as of the day it was submitted.
/// Reviews re-run the rule on the same data and date, and rewrite the explanation only if it
/// changed.
async fn explanations(db: &Db, rows: &[AppRow]) -> Res<usize> {
    let state = web::AppState::new(db.clone());
    let mut out = Vec::new();
    for r in rows {
        let (Some(submitted), true) = (
            r.submitted_at,
            matches!(
                r.state.status,
                Status::InReview | Status::Publicity | Status::Returned
            ),
        ) else {
            continue;
        };
        if r.kind.rule.is_none() {
            continue;
        }
        let app = store::applications::Application {
            id: r.id,
            kind: r.kind.code.clone(),
            applicant_org_id: r.org_id,
            district: r.district.clone(),
            title: r.title.clone(),
            year: r.year,
            status: r.state.status.as_str().into(),
            stage: r.state.stage as i64,
            stage_code: None,
            due_date: None,
            state_json: String::new(),
            data_json: r.data_json.clone(),
            decision_json: None,
            version: r.version,
            submitted_at: Some(submitted),
            decided_at: r.decided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            kind_version: i64::from(r.kind.version),
        };
        let data: Value = serde_json::from_str(&r.data_json)?;
        let as_of = chrono::DateTime::from_timestamp(submitted, 0)
            .map(domain::calendar::shanghai_date)
            .ok_or("submission time out of range")?;
        if let Some(d) =
            web::features::applications::evaluate_rule(&state, r.kind, &app, &data, as_of)
                .await
                .map_err(|e| format!("explanation of {}: {e}", r.id))?
        {
            out.push(vec![Val::I(r.id), Val::S(d.to_string())]);
        }
    }
    let mut tx = db.pool().begin().await?;
    insert_rows(
        &mut tx,
        db.backend(),
        "INSERT INTO application_decisions (application_id, decision_json)",
        2,
        &out,
    )
    .await?;
    tx.commit().await?;
    Ok(out.len())
}

async fn insert_rows(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    head: &str,
    ncols: usize,
    rows: &[Vec<Val>],
) -> Res<()> {
    // Below SQLite's 32,766 bound parameters per statement.
    let per = 30_000 / ncols;
    for chunk in rows.chunks(per) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * ncols * 6);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..ncols {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Val::I(x) => q.bind(*x),
                    Val::OI(x) => q.bind(*x),
                    Val::S(x) => q.bind(x.as_str()),
                    Val::OS(x) => q.bind(x.as_deref()),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn load(db: &Db, rows: &[AppRow]) -> Res<(usize, usize)> {
    let backend = db.backend();
    let mut apps = Vec::with_capacity(rows.len());
    let mut events = Vec::new();
    let mut pending = Vec::new();
    for r in rows {
        let st = &r.state;
        let in_flow = matches!(
            st.status,
            Status::InReview | Status::Publicity | Status::Returned
        );
        let due = if in_flow {
            st.due.map(|d| d.format("%Y-%m-%d").to_string())
        } else {
            None
        };
        for k in web::features::applications::pending_keys(
            r.kind,
            st,
            r.district.as_deref(),
            &serde_json::Value::Null,
        ) {
            pending.push(vec![
                Val::S(k),
                Val::S(due.clone().unwrap_or_else(|| "9999-12-31".into())),
                Val::I(r.id),
            ]);
        }
        apps.push(vec![
            Val::I(r.id),
            Val::S(r.kind.code.clone()),
            Val::I(r.org_id),
            Val::OS(r.district.clone()),
            Val::S(r.title.clone()),
            Val::OI(r.year),
            Val::S(st.status.as_str().into()),
            Val::I(st.stage as i64),
            Val::OS(if in_flow {
                r.kind.stage(st.stage).map(|s| s.code.clone())
            } else {
                None
            }),
            Val::OS(due),
            Val::S(serde_json::to_string(st)?),
            Val::S(r.data_json.clone()),
            Val::I(r.version),
            Val::OI(r.submitted_at),
            Val::OI(r.decided_at),
            Val::I(r.created_at),
            Val::I(r.updated_at),
        ]);
        for e in &r.events {
            events.push(vec![
                Val::I(r.id),
                Val::I(e.at),
                Val::OI(e.actor_org_id),
                Val::S(e.actor.clone()),
                Val::S(e.action.into()),
                Val::OS(e.from_status.clone()),
                Val::S(e.to_status.clone()),
                Val::OS(e.stage_code.clone()),
                Val::S(e.summary.clone()),
                Val::OS(e.comment.clone()),
            ]);
        }
    }
    let mut tx = db.pool().begin().await?;
    insert_rows(
        &mut tx,
        backend,
        "INSERT INTO applications (id, kind, applicant_org_id, district, title, year, status, stage, \
         stage_code, due_date, state_json, data_json, version, submitted_at, decided_at, created_at, updated_at)",
        17,
        &apps,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "INSERT INTO application_events (application_id, at, actor_org_id, actor, action, from_status, \
         to_status, stage_code, summary, comment)",
        10,
        &events,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "INSERT INTO application_pending (reviewer, due_date, application_id)",
        3,
        &pending,
    )
    .await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT setval(pg_get_serial_sequence('applications', 'id'), (SELECT MAX(id) FROM applications))")
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let mut tx = db.begin().await?;
    store::demo::record_bulk(
        &mut tx,
        &Actor::system("bench"),
        "application",
        json!({"applications": apps.len(), "events": events.len(), "pending": pending.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok((events.len(), pending.len()))
}

// ---------------------------------------------------------------------------------------------
// Measurement.

struct Stats {
    count: usize,
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn stats(lat: &mut [Duration], elapsed: Duration) -> Stats {
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| {
        if lat.is_empty() {
            0.0
        } else {
            ms(lat[((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1])
        }
    };
    Stats {
        count: lat.len(),
        rps: lat.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        max: lat.last().map(|d| ms(*d)).unwrap_or(0.0),
    }
}

fn report(label: &str, name: &str, s: &Stats, extra: &str) {
    println!(
        "RESULT {label} {name} count={} rps={:.1} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}{}{extra}",
        s.count,
        s.rps,
        s.p50,
        s.p99,
        s.max,
        if extra.is_empty() { "" } else { " " }
    );
}

/// The server's process, when it runs apart from the clients (its id for /proc).
static SERVER_PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// CPU seconds used by a process (`self`: the clients, and the server when it runs
/// in-process), from /proc.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime), counted after the command name.
    (tick(11) + tick(12)) / 100.0
}

/// Busy CPU seconds of the whole machine (PostgreSQL's processes included), from /proc/stat.
fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy: f64 = cpu
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    busy / 100.0
}

/// CPU use at one moment: the benchmark's process, the server's (if apart), the machine.
struct Cpu {
    own: f64,
    server: f64,
    machine: f64,
    at: Instant,
}

impl Cpu {
    fn now() -> Cpu {
        Cpu {
            own: cpu_secs("self"),
            server: SERVER_PID
                .get()
                .map_or(0.0, |pid| cpu_secs(&pid.to_string())),
            machine: machine_busy_secs(),
            at: Instant::now(),
        }
    }

    /// Cores kept busy since `self`, as `key=value` fields of a RESULT line.
    fn busy_since(&self) -> String {
        let now = Cpu::now();
        let el = (now.at - self.at).as_secs_f64();
        let own = (now.own - self.own) / el;
        let machine = (now.machine - self.machine) / el;
        match SERVER_PID.get() {
            Some(_) => format!(
                "client_cores_busy={own:.2} server_cores_busy={:.2} machine_cores_busy={machine:.2}",
                (now.server - self.server) / el
            ),
            None => format!("cpu_cores_busy={own:.2} machine_cores_busy={machine:.2}"),
        }
    }
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn login(base: &str, username: &str) -> Res<reqwest::Client> {
    let c = client();
    let html = c.get(format!("{base}/login")).send().await?.text().await?;
    let csrf = hidden(&html, "csrf").ok_or("login form without csrf")?;
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await?;
    if r.status() != 303 {
        return Err(format!("login of {username}: {}", r.status()).into());
    }
    Ok(c)
}

/// `clients` read `url` in a loop for `secs`; every latency is recorded.
async fn hammer(
    clients: Vec<(reqwest::Client, Option<String>)>,
    url: String,
    secs: u64,
) -> Res<(Vec<Duration>, usize, Duration)> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (c, token) in clients {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut req = c.get(&url);
                if let Some(tok) = &token {
                    req = req.bearer_auth(tok);
                }
                match req.send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    Ok((all, errors, started.elapsed()))
}

#[derive(Default)]
struct ActStats {
    ok: Vec<Duration>,
    version_conflicts: usize,
    conflict_lat: Vec<Duration>,
    refused: usize,
    errors: usize,
    queue_reads: Vec<Duration>,
    dry: usize,
    skipped_non_review: usize,
}

/// The fields of a queue page the reviewers use. The client decodes only these instead of
/// building the whole document as a tree: the clients share the cores with the server they
/// measure, and their work is not the server's.
#[derive(serde::Deserialize)]
struct QueuePage {
    items: Vec<QueueItem>,
}

#[derive(serde::Deserialize)]
struct QueueItem {
    id: i64,
    kind: String,
    stage_code: Option<String>,
    version: i64,
}

/// One reviewer: take the first approvable application of the own queue, approve it, repeat.
///
/// With `batch`, the reviewer keeps every approvable item of the page it read and approves
/// them one after another, reading the queue again only when they have run out: the
/// transitions are measured without a queue read before each one competing for the 2 cores.
/// (Reviewers sharing a queue may still race for an item: counted as version conflicts.)
///
/// With `pace`, the reviewer also starts one approval per `pace` at most (a reviewer who fell
/// behind starts the next one at once, without catching up on the missed ones): the offered load
/// is fixed, so the latency measured is that of a transition among 16 reviewers at work, not the
/// time spent waiting in line behind the others at saturation.
async fn reviewer_loop(
    base: String,
    token: String,
    deadline: Instant,
    out: Arc<Mutex<ActStats>>,
    batch: bool,
    pace: Option<Duration>,
) {
    let c = client();
    let mut s = ActStats::default();
    let mut kept: std::collections::VecDeque<QueueItem> = Default::default();
    // Reviewers start spread over one period, as people do.
    let mut next = Instant::now()
        + pace
            .map(|p| p.mul_f64(rand::random::<f64>()))
            .unwrap_or_default();
    'outer: while Instant::now() < deadline {
        if let Some(p) = pace {
            tokio::time::sleep_until(next.into()).await;
            next = (next + p).max(Instant::now());
            if Instant::now() >= deadline {
                break;
            }
        }
        // The first application at a review stage (approve acts there; publicity and scoring
        // stages take other actions), looking a few pages deep.
        let mut item = kept.pop_front();
        for page in 1..=10 {
            if item.is_some() {
                break;
            }
            let t = Instant::now();
            let Ok(r) = c
                .get(format!("{base}/api/v1/queue?page={page}&per_page=50"))
                .bearer_auth(&token)
                .send()
                .await
            else {
                s.errors += 1;
                continue 'outer;
            };
            let Ok(body) = r.json::<QueuePage>().await else {
                s.errors += 1;
                continue 'outer;
            };
            s.queue_reads.push(t.elapsed());
            if body.items.is_empty() {
                break;
            }
            let mut found: std::collections::VecDeque<QueueItem> = body
                .items
                .into_iter()
                .filter(|it| {
                    let code = it.stage_code.as_deref().unwrap_or("");
                    workflow::kind(&it.kind)
                        .and_then(|k| k.stage_index(code).and_then(|i| k.stage(i)))
                        .is_some_and(|st| matches!(st.step, StepKind::Review { .. }))
                })
                .collect();
            item = found.pop_front();
            if batch {
                kept = found;
            }
            if item.is_some() {
                break;
            }
            s.skipped_non_review += 50;
        }
        let Some(item) = item else {
            s.dry += 1;
            break 'outer;
        };
        let (id, version) = (item.id, item.version);
        let t = Instant::now();
        let resp = c
            .post(format!("{base}/api/v1/applications/{id}/actions"))
            .bearer_auth(&token)
            .json(&json!({"action": "approve", "version": version}))
            .send()
            .await;
        match resp {
            Ok(r) if r.status() == 200 => {
                let _ = r.bytes().await;
                s.ok.push(t.elapsed());
            }
            Ok(r) if r.status() == 409 => {
                let body = r.text().await.unwrap_or_default();
                if body.contains("已被他人") {
                    s.version_conflicts += 1;
                    s.conflict_lat.push(t.elapsed());
                } else {
                    s.refused += 1;
                    eprintln!("refused {id}: {body}");
                }
            }
            Ok(r) => {
                s.errors += 1;
                eprintln!(
                    "approve {id}: {} {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                );
            }
            Err(e) => {
                s.errors += 1;
                eprintln!("approve {id}: {e}");
            }
        }
    }
    let mut o = out.lock().await;
    o.ok.extend(s.ok);
    o.conflict_lat.extend(s.conflict_lat);
    o.queue_reads.extend(s.queue_reads);
    o.version_conflicts += s.version_conflicts;
    o.refused += s.refused;
    o.errors += s.errors;
    o.dry += s.dry;
    o.skipped_non_review += s.skipped_non_review;
}

/// Runs `n` reviewers (the first `n` tokens) for `secs`; `batch`, `pace`: see [`reviewer_loop`].
async fn transitions(
    base: &str,
    tokens: &[String],
    secs: u64,
    batch: bool,
    pace: Option<Duration>,
) -> (ActStats, Duration, String) {
    let out = Arc::new(Mutex::new(ActStats::default()));
    let cpu = Cpu::now();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for tok in tokens {
        tasks.push(tokio::spawn(reviewer_loop(
            base.to_string(),
            tok.clone(),
            deadline,
            out.clone(),
            batch,
            pace,
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
    let el = started.elapsed();
    let busy = cpu.busy_since();
    let o = std::mem::take(&mut *out.lock().await);
    (o, el, busy)
}

fn report_transitions(
    label: &str,
    name: &str,
    o: &mut ActStats,
    el: Duration,
    busy: String,
    n: usize,
) {
    let extra = format!(
        "reviewers={n} version_conflicts={} refused={} errors={} queues_dry={} conflict_p99_ms={:.2} {busy}",
        o.version_conflicts,
        o.refused,
        o.errors,
        o.dry,
        stats(&mut o.conflict_lat.clone(), el).p99
    );
    report(label, name, &stats(&mut o.ok, el), &extra);
    report(
        label,
        &format!("{name}:queue_reads[per_page=50]"),
        &stats(&mut o.queue_reads, el),
        "",
    );
}

/// Where a transition's time goes, without HTTP and without concurrency: for the first
/// applications of a reviewer's queue, the load, the policy rule, and the whole `act`
/// (load, rule, and the write transaction), called in-process one after another.
async fn breakdown(
    state: &web::AppState,
    label: &str,
    token: &str,
    key: &str,
    n: usize,
) -> Res<()> {
    let db = &state.db;
    let (p, _, _) = store::accounts::token_principal(db, &web::auth::sha256_hex(token))
        .await?
        .ok_or("token")?;
    let caller = web::auth::Caller {
        principal: p,
        csrf: None,
        session_hash: None,
        request_id: None,
        unread: None,
    };
    let page = store::applications::queue(
        db,
        &[key.to_string()],
        store::Paging::new(Some(1), Some(200)),
    )
    .await?;
    let (mut load, mut rule, mut act, mut write) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let today = domain::calendar::today_shanghai();
    for it in page
        .items
        .iter()
        .filter(|i| {
            workflow::kind(&i.kind)
                .and_then(|k| {
                    i.stage_code
                        .as_deref()
                        .and_then(|c| k.stage_index(c))
                        .and_then(|x| k.stage(x))
                })
                .is_some_and(|st| matches!(st.step, StepKind::Review { .. }))
        })
        .take(n)
    {
        let t0 = Instant::now();
        let (app, kind) = web::features::applications::load(state, &caller, it.id)
            .await
            .map_err(|e| e.to_string())?;
        let t1 = Instant::now();
        let data: Value = serde_json::from_str(&app.data_json)?;
        web::features::applications::evaluate_rule(state, kind, &app, &data, today)
            .await
            .map_err(|e| e.to_string())?;
        let t2 = Instant::now();
        web::features::applications::act(
            state,
            &caller,
            app.id,
            app.version,
            Action::Approve { comment: None },
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
        let t3 = Instant::now();
        load.push(t1 - t0);
        rule.push(t2 - t1);
        act.push(t3 - t2);
        write.push((t3 - t2).saturating_sub(t2 - t0));
    }
    let el = Duration::from_secs(1);
    let line = |v: &mut Vec<Duration>| {
        let s = stats(v, el);
        format!("p50={:.2} p99={:.2} max={:.2}", s.p50, s.p99, s.max)
    };
    println!(
        "BREAKDOWN {label} {key} n={}: load {} | rule {} | act {} | act minus load and rule (≈ write transaction) {}",
        act.len(),
        line(&mut load),
        line(&mut rule),
        line(&mut act),
        line(&mut write)
    );
    Ok(())
}

async fn explain(db: &Db, label: &str) -> Res<()> {
    let page = "SELECT a.id, a.kind, a.applicant_org_id, o.name AS applicant_name, a.district, a.title, \
        a.year, a.status, a.stage_code, a.due_date, a.version, a.submitted_at, a.decided_at, a.updated_at \
        FROM application_pending p JOIN applications a ON a.id = p.application_id \
        JOIN orgs o ON o.id = a.applicant_org_id WHERE p.reviewer IN ('unit:fgw') \
        ORDER BY p.due_date, p.application_id LIMIT 20 OFFSET 0";
    let count = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts WHERE reviewer IN ('unit:fgw')";
    let ledger = "SELECT * FROM applications WHERE applicant_org_id = (SELECT applicant_org_id FROM applications \
        WHERE kind = 'tax_credit_claim' LIMIT 1) AND kind = 'tax_credit_claim' AND status = 'approved' ORDER BY id";
    for (name, sql) in [
        ("queue page", page),
        ("queue count", count),
        ("ledger claims", ledger),
    ] {
        println!("EXPLAIN {label} {name}:");
        match db.backend() {
            Backend::Sqlite => {
                for r in sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(db.pool())
                    .await?
                {
                    println!("    {}", r.try_get::<String, _>(3)?);
                }
            }
            Backend::Postgres => {
                for r in sqlx::query(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
                    .fetch_all(db.pool())
                    .await?
                {
                    println!("    {}", r.try_get::<String, _>(0)?);
                }
            }
        }
    }
    Ok(())
}

/// The server under measurement: the real binary (`chanjiao serve`, next to this example in
/// target/…/), in a process of its own as in production, so that the clients' tasks do not
/// queue on its runtime; or, with `--in-process`, `web::app` on this process's runtime.
/// Answers with the base URL, and the child process (killed when dropped).
async fn start_server(a: &Args, db: &Db) -> Res<(String, Option<tokio::process::Child>)> {
    if let Some(base) = &a.server {
        return Ok((base.trim_end_matches('/').to_string(), None));
    }
    if a.in_process {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = web::AppState::new(db.clone());
        tokio::spawn(async move {
            axum::serve(listener, web::app(state))
                .await
                .expect("server");
        });
        return Ok((base, None));
    }
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("chanjiao"))
        .ok_or("no directory for the server binary")?;
    let mut child = tokio::process::Command::new(&bin)
        .args(["--database-url", &a.url, "serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "{}: {e} (build it: cargo build --release -p cli)",
                bin.display()
            )
        })?;
    let _ = SERVER_PID.set(child.id().ok_or("server exited")?);
    let stdout = child.stdout.take().ok_or("server stdout")?;
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    // "平台已启动：http://127.0.0.1:PORT/ （…）"
    while let Some(line) = lines.next_line().await? {
        if let Some(at) = line.find("http://") {
            let url = line[at..].split('/').take(3).collect::<Vec<_>>().join("/");
            // Keep reading (and dropping) what the server prints, so it never blocks on a pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            println!("server: {} (pid {})", url, SERVER_PID.get().unwrap_or(&0));
            return Ok((url, Some(child)));
        }
    }
    Err("the server exited before listening".into())
}

#[tokio::main]
async fn main() -> Res<()> {
    // The server's warnings and errors (a failed request says why) go to stderr.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHANJIAO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let a = args();
    let label = a.label.clone();
    let db = Db::connect(&a.url).await?;
    db.migrate().await?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM applications")
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    // The demo's own applications (about 120, from `chanjiao demo`) may be there; a database
    // already loaded by this benchmark may not.
    if a.reuse {
        println!("reusing {existing} applications");
    } else {
        if existing > 1_000 {
            return Err(format!(
                "the database already has {existing} applications; use a fresh one"
            )
            .into());
        }
        let enterprises: Vec<(i64, Option<String>)> = sqlx::query(
            "SELECT id, district FROM orgs WHERE kind = 'enterprise' \
                 AND id NOT IN (SELECT applicant_org_id FROM applications) ORDER BY id",
        )
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Option<String>, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
        // Those without the demo's own applications (whose claims would collide with the
        // bench's one claim per enterprise and year).
        println!(
            "{} enterprises without applications in the database",
            enterprises.len()
        );
        if enterprises.len() < 24_000 {
            return Err(
                "fewer than 25,000 enterprises: run `chanjiao demo --scale 5` first".into(),
            );
        }

        // --- Load.
        let t = Instant::now();
        let days = Days::new();
        let mut rows = generate(&days, &enterprises, a.apps, a.ledgers)?;
        // After the demo's own applications.
        let max_id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM applications")
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
        for r in &mut rows {
            r.id += max_id;
        }
        let gen_secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let (n_events, n_pending) = load(&db, &rows).await?;
        store::applications::recount_queues(&db).await?;
        let load_secs = t.elapsed().as_secs_f64();
        // What autovacuum would do after a bulk load (statistics, the visibility map), and the
        // bulk load's WAL copied into the SQLite file; again after the explanations, which the
        // rule computes reading the ledgers (on PostgreSQL with the statistics of the first).
        // PostgreSQL also writes its checkpoint now, not during the measurements.
        let settle = || async {
            match db.backend() {
                Backend::Postgres => {
                    sqlx::query("VACUUM ANALYZE").execute(db.pool()).await?;
                    sqlx::query("CHECKPOINT").execute(db.pool()).await
                }
                Backend::Sqlite => {
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(db.pool())
                        .await
                }
            }
        };
        let t = Instant::now();
        settle().await?;
        let mut settle_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let n_decisions = explanations(&db, &rows).await?;
        println!(
            "stored {n_decisions} explanations of the applications in review in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        settle().await?;
        settle_s += t.elapsed().as_secs_f64();
        println!(
            "RESULT {label} load applications={} events={n_events} pending={n_pending} generate_s={gen_secs:.1} insert_s={load_secs:.1} vacuum_or_checkpoint_s={settle_s:.1}",
            rows.len(),
        );
        let mut by_status: HashMap<(String, &'static str), usize> = HashMap::new();
        for r in &rows {
            *by_status
                .entry((r.kind.code.clone(), r.state.status.as_str()))
                .or_default() += 1;
        }
        let mut keys: Vec<_> = by_status.into_iter().collect();
        keys.sort();
        for ((k, s), n) in keys {
            println!("    {k:<26} {s:<10} {n}");
        }
        drop(rows);
        explain(&db, &label).await?;
    }
    if a.load_only {
        return Ok(());
    }

    // --- Reviewers, then the server.
    let units = ["fgw", "jw", "jxw", "czj", "rsj", "gzw", "sw"];
    // The 9 districts with the most awaiting them (the pre-review stage).
    let districts: Vec<String> = sqlx::query(
        "SELECT reviewer FROM queue_counts WHERE reviewer LIKE 'district:%' ORDER BY n DESC, reviewer LIMIT 9",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok(r.try_get::<String, _>(0)?["district:".len()..].to_string()))
    .collect::<Result<_, sqlx::Error>>()?;
    let mut tokens: Vec<(String, String)> = Vec::new(); // (username, token)
    let sys = Actor::system("bench");
    for (code, role) in units
        .iter()
        .map(|u| (*u, "department"))
        .chain(districts.iter().map(|d| (d.as_str(), "district")))
    {
        // Repeated runs on one database get their own identities.
        let username = if a.reuse {
            format!("bench_{code}_{}", std::process::id())
        } else {
            format!("bench_{code}")
        };
        let id = web::features::admin::add_user(
            &db,
            &sys,
            &web::features::admin::UserInput {
                username: &username,
                display_name: &username,
                role,
                org_code: code,
                password: Some(PASSWORD),
            },
        )
        .await
        .map_err(|e| format!("user {username}: {e}"))?;
        let tok = web::auth::issue_token(&db, &sys, id, "bench")
            .await
            .map_err(|e| format!("token {username}: {e}"))?;
        tokens.push((username, tok));
    }
    let (base, _server) = start_server(&a, &db).await?;
    let token_of = |u: &str| {
        tokens
            .iter()
            .find(|t| t.0 == u || t.0.starts_with(&format!("{u}_")))
            .map(|t| t.1.clone())
            .expect("token")
    };

    // --- Queue pages.
    let (d0, d1) = (&districts[0], &districts[1]);
    let queue_pages: Vec<(String, String)> = if a.transitions_only {
        Vec::new()
    } else {
        vec![
            ("bench_fgw".into(), "unit:fgw".into()),
            (format!("bench_{d0}"), format!("district:{d0}")),
        ]
    };
    for (who, key) in &queue_pages {
        let (who, key) = (who.as_str(), key.as_str());
        let tok = token_of(who);
        let first: Value = client()
            .get(format!("{base}/api/v1/queue?page=1&per_page=20"))
            .bearer_auth(&tok)
            .send()
            .await?
            .json()
            .await?;
        println!("queue {key}: {} awaiting", first["total"]);
        let api: Vec<_> = (0..8).map(|_| (client(), Some(tok.clone()))).collect();
        let cpu = Cpu::now();
        let (mut lat, errors, el) = hammer(
            api,
            format!("{base}/api/v1/queue?page=1&per_page=20"),
            a.secs,
        )
        .await?;
        report(
            &label,
            &format!("queue_api[{key}]"),
            &stats(&mut lat, el),
            &format!(
                "errors={errors} queue_total={} {}",
                first["total"],
                cpu.busy_since()
            ),
        );
        let mut pages = Vec::new();
        for _ in 0..8 {
            pages.push((login(&base, who).await?, None));
        }
        let cpu = Cpu::now();
        let (mut lat, errors, el) = hammer(pages, format!("{base}/queue"), a.secs).await?;
        report(
            &label,
            &format!("queue_html[{key}]"),
            &stats(&mut lat, el),
            &format!("errors={errors} {}", cpu.busy_since()),
        );
    }

    // --- Transitions: 16 reviewers at once, then fewer, to see how latency grows with load.
    let all: Vec<String> = tokens.iter().map(|t| t.1.clone()).collect();
    // 16 reviewers at a fixed pace each: 10 and 20 approvals a second per reviewer, 160 and 320
    // a second in all (each after reading the own queue), 5 s each; then back to back, 5 s,
    // and batched, 4 s. Short enough that the districts' queues (1,100 to 2,000 each) hold
    // work for all 16 in every measurement (`queues_dry` counts the reviewers that ran out).
    let paces: &[u64] = if a.back_to_back_only { &[] } else { &[100, 50] };
    for &ms in paces {
        let (mut o, el, busy) = transitions(
            &base,
            &all,
            a.secs.min(5),
            false,
            Some(Duration::from_millis(ms)),
        )
        .await;
        report_transitions(
            &label,
            &format!("transition_approve_paced_{ms}ms"),
            &mut o,
            el,
            busy,
            all.len(),
        );
    }
    let (mut o, el, busy) = transitions(&base, &all, a.secs.min(5), false, None).await;
    report_transitions(&label, "transition_approve", &mut o, el, busy, all.len());
    let (mut o, el, busy) = transitions(&base, &all, a.secs.min(4), true, None).await;
    report_transitions(
        &label,
        "transition_approve_batched",
        &mut o,
        el,
        busy,
        all.len(),
    );
    // Interleaved units and districts, so that small groups mix kinds.
    let mixed: Vec<String> = [
        "bench_fgw".to_string(),
        format!("bench_{d0}"),
        "bench_sw".into(),
        format!("bench_{d1}"),
    ]
    .iter()
    .map(|u| token_of(u))
    .collect();
    let groups: &[usize] = if a.back_to_back_only { &[] } else { &[1, 4] };
    for &n in groups {
        let (mut o, el, busy) =
            transitions(&base, &mixed[..n], (a.secs / 3).max(3), false, None).await;
        report_transitions(
            &label,
            &format!("transition_approve_{n}_reviewers"),
            &mut o,
            el,
            busy,
            n,
        );
    }
    let state = web::AppState::new(db.clone());
    for (who, key) in [
        ("bench_sw".to_string(), "unit:sw".to_string()),
        ("bench_fgw".into(), "unit:fgw".into()),
        (format!("bench_{d0}"), format!("district:{d0}")),
        ("bench_rsj".into(), "unit:rsj".into()),
    ] {
        breakdown(&state, &label, &token_of(&who), &key, 100).await?;
    }
    let audit: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    println!("audit log entries after the run: {audit}");
    Ok(())
}
