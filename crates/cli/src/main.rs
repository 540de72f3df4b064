//! `chanjiao` — the one binary: web server, migrations, demo data, accounts, audit, backup.

mod demo;
mod demo_applications;
mod demo_majors;

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use store::{Actor, Backend, Db, audit};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "chanjiao",
    version,
    about = "重庆市产教融合工作平台（渝发改社会〔2023〕1271号）"
)]
struct Cli {
    /// Database: sqlite://FILE?mode=rwc (default ./chanjiao.db) or postgres://…
    #[arg(long, global = true, env = "CHANJIAO_DATABASE_URL", default_value = store::DEFAULT_URL)]
    database_url: String,
    /// Directory of policy parameter files (*.toml) overriding the shipped ones.
    #[arg(long, global = true, env = "CHANJIAO_POLICY_DIR")]
    policy_dir: Option<std::path::PathBuf>,
    /// Directory of application kind files (*.toml) replacing shipped kinds of the same code
    /// or adding kinds.
    #[arg(long, global = true, env = "CHANJIAO_KINDS_DIR")]
    kinds_dir: Option<std::path::PathBuf>,
    /// Audit key file (TOML: `current = "ID"` and `[keys] ID = "HEX"`), kept outside the
    /// database. Default: FILE.audit-key beside a SQLite database (created by `serve` and
    /// `audit anchor` if missing), ./chanjiao-postgres.audit-key for PostgreSQL.
    #[arg(long, global = true, env = "CHANJIAO_AUDIT_KEY_FILE")]
    audit_key_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (pages, API, /healthz, /readyz; /metrics with --metrics-bind).
    Serve(ServeArgs),
    /// Apply the embedded database migrations.
    Migrate,
    /// Fill the database with deterministic, Chongqing-shaped demo data.
    Demo(DemoArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Evaluate policy rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Import reference data files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// List the application kinds in force (the shipped ones, or with --kinds-dir) as JSON,
    /// after checking them against the policy rules and parameters.
    Kinds,
    /// Background jobs (deadline reminders, certification expiry, publicity ended).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Measure 5's figures (majors aligned to labour demand).
    #[command(subcommand)]
    Alignment(AlignmentCommand),
    /// Write a consistent copy of the SQLite database to FILE while it is in use.
    Backup {
        /// Destination file (must not exist).
        file: std::path::PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CHANJIAO_BIND")]
    bind: String,
    /// Load demo data (if the database has none) and print demo accounts.
    #[arg(long)]
    demo: bool,
    /// Demo size multiplier (with --demo).
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Job postings in the demo's measure 5 data (with --demo).
    #[arg(long, default_value_t = 500_000)]
    postings: usize,
    /// Directory the server writes an audit anchor to at start and then daily (keep it off the
    /// database's machine, or copy the files away).
    #[arg(long, env = "CHANJIAO_ANCHOR_DIR")]
    anchor_dir: Option<std::path::PathBuf>,
    /// Serve Prometheus metrics (/metrics) on this address only (e.g. 127.0.0.1:9090); the
    /// public listener answers 404 for /metrics.
    #[arg(long, env = "CHANJIAO_METRICS_BIND")]
    metrics_bind: Option<String>,
    /// A reverse proxy of ours is in front: take the client address from the last
    /// X-Forwarded-For entry (login throttling, session list). Never without such a proxy.
    #[arg(long, env = "CHANJIAO_TRUST_PROXY")]
    trust_proxy: bool,
    /// Run the background jobs (reminders) every SECONDS; 0 disables them on this node.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        env = "CHANJIAO_JOBS_INTERVAL"
    )]
    jobs_interval: u64,
}

/// How often the server looks at measure 5's data version (one row) to recompute its figures.
const ALIGNMENT_POLL_MS: u64 = 250;

#[derive(Subcommand)]
enum AlignmentCommand {
    /// Have every running server compute the figures again in full (imports recompute only
    /// what they change; use this after data were repaired outside the platform).
    Recompute,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run one pass of the background jobs now and print what it sent (each notice is sent
    /// once, whoever runs the pass; on PostgreSQL a pass another node is running is skipped).
    RunOnce,
}

#[derive(Args)]
struct DemoArgs {
    /// Size multiplier: 1 ≈ 120 schools and 5,000 enterprises.
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Job postings in the measure 5 data (five years, 2021–2025).
    #[arg(long, default_value_t = 500_000)]
    postings: usize,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Without --password-stdin a random password is generated and printed.
    Add {
        #[arg(long)]
        username: String,
        /// operator, department, district, school, enterprise, bank
        #[arg(long)]
        role: String,
        /// The organisation's code: credit code, division code, unit code, or `operator`.
        #[arg(long)]
        org: String,
        /// Display name (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Clear a username's recorded login failures (and an address's, with --address), so
    /// sign-in is not delayed any more.
    Unlock {
        #[arg(long)]
        username: String,
        /// Also clear this client address's failures.
        #[arg(long)]
        address: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue an API token for a user; the token is printed alone on the last line.
    Create {
        #[arg(long)]
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "命令行签发")]
        name: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import job postings or enterprise demand records (区县, 行业代码, 职业代码 or 岗位名称,
    /// 需求人数, 发布日期, salaries) from CSV or XLSX. Titles without a code are matched to
    /// occupations; uncertain ones wait for confirmation on the 待确认岗位名称 page. All rows or
    /// none unless --only-valid; exits 2 when nothing was imported.
    Demand {
        file: std::path::PathBuf,
        /// Import the rows that pass even if others fail.
        #[arg(long)]
        only_valid: bool,
    },
    /// Import schools' supply rows (per school, major and year: enrolment, graduates,
    /// employment, starting salary) from CSV or XLSX, for any school. All rows or none unless
    /// --only-valid; prints the report and exits 2 when nothing was imported.
    Supply {
        file: std::path::PathBuf,
        /// Import the rows that pass even if others fail.
        #[arg(long)]
        only_valid: bool,
    },
    /// Import the national vocational major catalog (CSV or XLSX, the Ministry dataset's columns
    /// or the platform template's Chinese headers). All rows or none; prints the row-by-row
    /// report and exits 2 when the file has problems.
    MajorCatalog {
        file: std::path::PathBuf,
        /// Import the rows that pass even if others fail.
        #[arg(long)]
        only_valid: bool,
        /// Replace a catalog already imported under the same catalog code.
        #[arg(long)]
        replace: bool,
    },
    /// Import occupations (职业分类大典 codes such as 4-04-05-01, CSV or XLSX with the platform
    /// template's headers). Adds or updates by code; all rows or none; prints the row-by-row
    /// report and exits 2 when the file has problems.
    Occupations {
        file: std::path::PathBuf,
        /// Import the rows that pass even if others fail.
        #[arg(long)]
        only_valid: bool,
    },
    /// Import the major→occupation crosswalk (职业面向: 教育层次, 专业代码, 职业代码, 备注). Replaces
    /// the occupations of each major the file names (majors of the current catalog); all rows or
    /// none; prints the row-by-row report and exits 2 when the file has problems.
    Crosswalk {
        file: std::path::PathBuf,
        /// Import the rows that pass even if others fail.
        #[arg(long)]
        only_valid: bool,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Evaluate RULE on a JSON input (FILE, or - / nothing for standard input) and print the
    /// decision as JSON; exit 2 on bad input.
    Eval {
        /// tax_credit, certification, land_supply, apprenticeship, pilot_city
        rule: String,
        /// Input file; `-` or absent for standard input.
        file: Option<std::path::PathBuf>,
        /// Print the explanation as Chinese text instead of JSON.
        #[arg(long)]
        explain: bool,
    },
    /// List the policy parameters in force with their history, as JSON.
    Params,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and check the MACs with the audit key; report the first altered,
    /// missing or wrongly keyed entry (exit 1 if any). Without a key the MACs are not checked.
    Verify {
        /// Anchors (a file of JSON lines written by `audit anchor`, or a directory of them):
        /// detects truncation below them and rewriting before them.
        #[arg(long)]
        anchor: Option<std::path::PathBuf>,
    },
    /// Key the pending entries, then print the head of the log (seq, hash, MAC, key id, time)
    /// as one signed JSON line, to keep outside the database.
    Anchor {
        /// Also append the line to FILE.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("CHANJIAO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,tower_http=info"));
    let json = std::env::var("CHANJIAO_LOG_FORMAT").is_ok_and(|v| v == "json");
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}

async fn open(url: &str) -> Result<Db> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("无法连接数据库 {}", redact(url)))?;
    db.migrate().await.context("数据库迁移失败")?;
    Ok(db)
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn load_params(dir: &Option<std::path::PathBuf>) -> Result<policy::ParamSet> {
    let set = match dir {
        Some(d) => policy::ParamSet::with_overrides(d),
        None => policy::ParamSet::embedded(),
    };
    set.map_err(|e| anyhow::anyhow!("政策参数有误：{e}"))
}

/// Loads the application kinds (with the operator's directory) and checks them against the
/// policy rules and parameters; an invalid file stops the command, naming file and key.
fn load_kinds(dir: &Option<std::path::PathBuf>, params: &policy::ParamSet) -> Result<()> {
    if let Some(d) = dir {
        domain::workflow::load_kinds(d).map_err(|e| anyhow::anyhow!("申报事项配置有误：{e}"))?;
    }
    web::features::applications::check_kinds(params)
        .map_err(|e| anyhow::anyhow!("申报事项配置有误：{e}"))
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let url = cli.database_url.clone();
    load_kinds(&cli.kinds_dir, &load_params(&cli.policy_dir)?)?;
    match cli.command {
        Command::Kinds => {
            let items: Vec<serde_json::Value> = domain::workflow::kinds()
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "code": k.code, "title": k.title, "measure": k.measure,
                        "applicants": k.applicants.iter().map(|a| a.as_str()).collect::<Vec<_>>(), "rule": k.rule,
                        "stages": k.stages.iter().map(|s| &s.name).collect::<Vec<_>>(),
                        "fields": k.fields.iter().map(|f| &f.name).collect::<Vec<_>>(),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "items": items }))?
            );
        }
        Command::Rules(RulesCommand::Eval {
            rule,
            file,
            explain,
        }) => {
            let params = load_params(&cli.policy_dir)?;
            let text = match file.as_deref() {
                None => read_stdin()?,
                Some(p) if p.as_os_str() == "-" => read_stdin()?,
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("无法读取 {}", p.display()))?,
            };
            let decision = policy::evaluate(&rule, &text, &params, true)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if explain {
                let steps: Vec<String> = decision["trace"]
                    .as_array()
                    .map(|a| a.iter().map(step_text).collect())
                    .unwrap_or_default();
                println!("{}", steps.join(""));
                println!(
                    "结论：{}",
                    serde_json::to_string_pretty(&decision["outcome"])?
                );
            } else {
                println!("{}", serde_json::to_string_pretty(&decision)?);
            }
        }
        Command::Import(ImportCommand::Demand { file, only_valid }) => {
            let bytes = read_file(&file)?;
            let params = load_params(&cli.policy_dir)?;
            let state = web::AppState::with_params(open(&url).await?, params);
            let started = std::time::Instant::now();
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let out = web::features::demand::import(
                &state,
                &Actor::system("cli"),
                &name,
                bytes,
                only_valid,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            if !report_problems(&out.report, out.imported) {
                return Ok(ExitCode::from(2));
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "已导入 {} 行（{}）；问题 {} 处；用时 {:.1} 秒",
                out.imported,
                out.by_status
                    .iter()
                    .map(|(s, n)| format!("{}{n}", store::demand::status::label(s)))
                    .collect::<Vec<_>>()
                    .join("，"),
                out.report.problems.len(),
                secs
            );
        }
        Command::Import(ImportCommand::Supply { file, only_valid }) => {
            let bytes = read_file(&file)?;
            let db = open(&url).await?;
            let started = std::time::Instant::now();
            let out =
                web::features::supply::import(&db, &Actor::system("cli"), bytes, None, only_valid)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            if !report_problems(&out.report, out.imported) {
                return Ok(ExitCode::from(2));
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "已导入 {} 行（{} 所学校，年份 {:?}）；问题 {} 处；用时 {:.1} 秒（{:.0} 行/秒）",
                out.imported,
                out.schools.len(),
                out.years,
                out.report.problems.len(),
                secs,
                out.imported as f64 / secs.max(1e-9)
            );
        }
        Command::Import(ImportCommand::MajorCatalog {
            file,
            only_valid,
            replace,
        }) => {
            let bytes = read_file(&file)?;
            let db = open(&url).await?;
            let out = web::features::majors::import_catalog(
                &db,
                &Actor::system("cli"),
                bytes,
                only_valid,
                replace,
            )
            .await
            .map_err(|e| match e {
                web::AppError::Conflict(m) => {
                    anyhow::anyhow!("{m}；如需更新请加 --replace")
                }
                other => anyhow::anyhow!(other.to_string()),
            })?;
            if !report_problems(&out.report, out.imported) {
                return Ok(ExitCode::from(2));
            }
            if let Some(c) = &out.catalog {
                println!(
                    "已导入 {} 条到“{}”（{}）；文件 {} 行，问题 {} 处",
                    out.imported,
                    c.name,
                    c.code,
                    out.report.total_rows,
                    out.report.problems.len()
                );
            }
        }
        Command::Import(ImportCommand::Occupations { file, only_valid }) => {
            let bytes = read_file(&file)?;
            let db = open(&url).await?;
            let out = web::features::occupations::import_occupations(
                &db,
                &Actor::system("cli"),
                bytes,
                only_valid,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            if !report_problems(&out.report, out.imported) {
                return Ok(ExitCode::from(2));
            }
            println!(
                "已导入 {} 个职业（新增 {}，更新 {}）；文件 {} 行，问题 {} 处",
                out.imported,
                out.added,
                out.updated,
                out.report.total_rows,
                out.report.problems.len()
            );
        }
        Command::Import(ImportCommand::Crosswalk { file, only_valid }) => {
            let bytes = read_file(&file)?;
            let db = open(&url).await?;
            let out = web::features::occupations::import_crosswalk(
                &db,
                &Actor::system("cli"),
                bytes,
                only_valid,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            if !report_problems(&out.report, out.imported) {
                return Ok(ExitCode::from(2));
            }
            println!(
                "已导入 {} 条职业面向，涉及 {} 个专业；文件 {} 行，问题 {} 处",
                out.imported,
                out.majors,
                out.report.total_rows,
                out.report.problems.len()
            );
        }
        Command::Rules(RulesCommand::Params) => {
            let params = load_params(&cli.policy_dir)?;
            let items: Vec<&policy::params::Param> = params.iter().collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "items": items }))?
            );
        }
        Command::Jobs(JobsCommand::RunOnce) => {
            let params = load_params(&cli.policy_dir)?;
            let state = web::AppState::with_params(open(&url).await?, params);
            let pass = web::features::jobs::run_once(&state, &Actor::system("cli"))
                .await
                .map_err(|e| anyhow::anyhow!("定时任务运行失败：{e}"))?;
            println!("{}", pass.summary());
        }
        Command::Alignment(AlignmentCommand::Recompute) => {
            let db = open(&url).await?;
            let mut tx = db.begin().await?;
            store::versions::request_full(
                &mut tx,
                &Actor::system("cli"),
                store::versions::ALIGNMENT,
            )
            .await?;
            tx.commit().await?;
            println!(
                "已要求全部重新计算专业与需求对接结果：运行中的服务器将在数秒内完成，完成前页面显示上次的结果"
            );
        }
        Command::Migrate => {
            let db = open(&url).await?;
            println!("数据库已是最新结构（{}）", backend_name(db.backend()));
        }
        Command::Serve(args) => {
            let params = load_params(&cli.policy_dir)?;
            let db = open(&url).await?;
            web::features::applications::record_kinds(&web::AppState::with_params(
                db.clone(),
                params,
            ))
            .await
            .map_err(|e| anyhow::anyhow!("申报事项配置有误：{e}"))?;
            if args.demo {
                demo::generate(&db, args.scale, args.postings).await?;
                let accounts = demo::reset_demo_accounts(&db).await?;
                print_accounts(&accounts);
            }
            let ring = audit_keys(&cli.audit_key_file, &url, true)?.context("审计密钥不可用")?;
            let key_path = std::fs::canonicalize(ring.path()).unwrap_or(ring.path().into());
            println!(
                "审计密钥：{}（当前密钥 {}）",
                key_path.display(),
                ring.current_id()
            );
            match &args.anchor_dir {
                Some(dir) => {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("无法创建锚点目录 {}", dir.display()))?;
                    println!("审计锚点：启动时及每天写入 {}", dir.display());
                }
                None => println!("未配置 --anchor-dir：服务器不写审计锚点"),
            }
            let listener = tokio::net::TcpListener::bind(&args.bind)
                .await
                .with_context(|| format!("无法监听 {}", args.bind))?;
            let addr = listener.local_addr()?;
            let params = load_params(&cli.policy_dir)?;
            let mut state = web::AppState::with_params(db.clone(), params);
            spawn_audit_tasks(
                db.clone(),
                ring,
                args.anchor_dir.clone(),
                state.background.clone(),
            );
            state.security.trust_proxy = args.trust_proxy;
            if args.jobs_interval > 0 {
                println!("定时提醒：每 {} 秒运行一轮", args.jobs_interval);
                web::features::jobs::spawn(
                    state.clone(),
                    std::time::Duration::from_secs(args.jobs_interval),
                );
            } else {
                println!("定时提醒已停用（--jobs-interval 0）");
            }
            // Measure 5's figures: computed now, and again as soon as their data change.
            state.alignment.watch(
                state.clone(),
                std::time::Duration::from_millis(ALIGNMENT_POLL_MS),
            );
            if let Some(mb) = &args.metrics_bind {
                let ml = tokio::net::TcpListener::bind(mb)
                    .await
                    .with_context(|| format!("无法监听 {mb}"))?;
                let maddr = ml.local_addr()?;
                println!("监控指标：http://{maddr}/metrics");
                tracing::info!(%maddr, "metrics listening");
                let mstate = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = web::ops::serve_metrics(mstate, ml).await {
                        tracing::error!(error = %e, "metrics listener stopped");
                    }
                });
            }
            println!(
                "平台已启动：http://{addr}/ （数据库：{}，按 Ctrl-C 停止）",
                backend_name(db.backend())
            );
            tracing::info!(%addr, "listening");
            web::serve(state, listener).await?;
        }
        Command::Demo(args) => {
            let db = open(&url).await?;
            let summary = demo::generate(&db, args.scale, args.postings).await?;
            println!("{summary}");
            let accounts = demo::reset_demo_accounts(&db).await?;
            print_accounts(&accounts);
        }
        Command::User(UserCommand::Add {
            username,
            role,
            org,
            display_name,
            password_stdin,
        }) => {
            let db = open(&url).await?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (demo::random_password(), true)
            };
            let input = web::features::admin::UserInput {
                username: &username,
                display_name: display_name.as_deref().unwrap_or(&username),
                role: &role,
                org_code: &org,
                password: Some(&password),
            };
            let id = web::features::admin::add_user(&db, &Actor::system("cli"), &input)
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            println!("已创建用户 {username}（编号 {id}）");
            if generated {
                println!("初始密码（仅显示一次）：{password}");
            }
        }
        Command::User(UserCommand::Unlock { username, address }) => {
            let db = open(&url).await?;
            let cleared = store::accounts::clear_login_failures(
                &db,
                &Actor::system("cli"),
                &username,
                address.as_deref(),
            )
            .await?;
            println!("已清除 {username} 的登录失败记录 {cleared} 条，可立即重新登录");
        }
        Command::Token(TokenCommand::Create { username, name }) => {
            let db = open(&url).await?;
            let Some(uid) = store::accounts::user_id_by_username(&db, &username).await? else {
                bail!("找不到用户“{username}”");
            };
            let secret = web::auth::issue_token(&db, &Actor::system("cli"), uid, &name)
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            println!("已为 {username} 签发令牌（仅显示一次）：");
            println!("{secret}");
        }
        Command::Audit(AuditCommand::Verify { anchor }) => {
            let anchors = match &anchor {
                Some(path) => read_anchors(path)?,
                None => Vec::new(),
            };
            let db = open(&url).await?;
            let ring = audit_keys(&cli.audit_key_file, &url, false)?;
            let v = audit::verify_with(&db, ring.as_ref(), &anchors).await?;
            if let Some(p) = v.problem {
                println!(
                    "审计日志校验失败：{}（此前 {} 条完好）",
                    p.message, v.entries
                );
                return Ok(ExitCode::from(1));
            }
            println!("审计日志完整：共 {} 条，哈希链校验通过", v.entries);
            match &ring {
                Some(r) => println!(
                    "MAC 校验通过：{} 条（密钥 {}，{}）；最新 {} 条尚未加签",
                    v.keyed,
                    if v.key_ids.is_empty() {
                        "—".to_string()
                    } else {
                        v.key_ids.join("、")
                    },
                    r.path().display(),
                    v.unkeyed
                ),
                None => println!(
                    "未找到审计密钥（--audit-key-file 或 CHANJIAO_AUDIT_KEY_FILE，默认 {}）：MAC 未校验（已加签 {} 条，未加签 {} 条）",
                    audit::default_key_path(&url).display(),
                    v.keyed,
                    v.unkeyed
                ),
            }
            if let Some(last) = anchors.iter().map(|a| a.seq).max() {
                println!(
                    "锚点 {} 个与日志相符（最新锚点：第{last}条）{}",
                    v.anchors,
                    if ring.is_some() {
                        "，签名校验通过"
                    } else {
                        "；无密钥，签名未校验"
                    }
                );
            }
        }
        Command::Audit(AuditCommand::Anchor { out }) => {
            let db = open(&url).await?;
            let ring = audit_keys(&cli.audit_key_file, &url, true)?.context("审计密钥不可用")?;
            let mut sealer = audit::Sealer::new(ring);
            let a = audit::anchor(&db, &mut sealer).await?;
            let line = a.to_line();
            if let Some(path) = &out {
                append_line(path, &line)?;
                eprintln!("已写入锚点（第{}条）到 {}", a.seq, path.display());
            }
            println!("{line}");
        }
        Command::Backup { file } => {
            if file.exists() {
                bail!("目标文件 {} 已存在", file.display());
            }
            let db = open(&url).await?;
            if db.backend() != Backend::Sqlite {
                bail!("backup 仅适用于 SQLite；PostgreSQL 请使用 pg_dump（见 README）");
            }
            store::backup_sqlite(&db, &file.to_string_lossy()).await?;
            println!("已备份到 {}", file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How often the server keys new audit entries.
const AUDIT_SEAL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How often the server writes an audit anchor to `--anchor-dir` (and once at start).
const AUDIT_ANCHOR_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The audit key ring: the configured file (which must exist), else the default file
/// ([`audit::default_key_path`]), created when `create` and missing. `None` only without
/// `create` when no file exists.
fn audit_keys(
    configured: &Option<std::path::PathBuf>,
    url: &str,
    create: bool,
) -> Result<Option<audit::KeyRing>> {
    if let Some(path) = configured {
        return Ok(Some(audit::KeyRing::load(path)?));
    }
    let path = audit::default_key_path(url);
    if create {
        let (ring, created) = audit::KeyRing::load_or_generate(&path)?;
        if created {
            tracing::warn!(
                path = %path.display(),
                "未配置审计密钥（--audit-key-file），已生成 {}（仅所有者可读）；请备份到数据库以外的地方",
                path.display()
            );
        }
        return Ok(Some(ring));
    }
    Ok(path
        .exists()
        .then(|| audit::KeyRing::load(&path))
        .transpose()?)
}

/// Keys new audit entries every [`AUDIT_SEAL_EVERY`], and writes an anchor into `anchor_dir`
/// when it starts the work and every [`AUDIT_ANCHOR_EVERY`] — on the one node holding the
/// background-work lease (`store::lease`), which `background` reflects. Ends when the database
/// is closed.
fn spawn_audit_tasks(
    db: Db,
    ring: audit::KeyRing,
    anchor_dir: Option<std::path::PathBuf>,
    background: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    tokio::spawn(async move {
        let mut lease = store::lease::Lease::new(db.clone());
        let mut sealer = audit::Sealer::new(ring);
        let mut tick = tokio::time::interval(AUDIT_SEAL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_anchor = tokio::time::Instant::now();
        loop {
            tick.tick().await;
            if db.pool().is_closed() {
                break;
            }
            let held = lease.hold().await.unwrap_or_else(|e| {
                tracing::warn!("后台任务租约检查失败：{e}");
                false
            });
            let was = background.swap(held, std::sync::atomic::Ordering::Relaxed);
            if !held {
                continue;
            }
            if !was {
                // Taken over (or started): an anchor now, then every interval.
                next_anchor = tokio::time::Instant::now();
            }
            match &anchor_dir {
                Some(dir) if tokio::time::Instant::now() >= next_anchor => {
                    next_anchor += AUDIT_ANCHOR_EVERY;
                    match write_anchor(&db, &mut sealer, dir).await {
                        Ok(path) => tracing::info!(path = %path.display(), "audit anchor written"),
                        Err(e) => tracing::error!("写审计锚点失败：{e:#}"),
                    }
                }
                _ => {
                    if let Err(e) = sealer.seal(&db).await {
                        tracing::warn!("审计记录加签失败：{e}");
                    }
                }
            }
        }
    });
}

/// Keys pending entries and writes the anchor to a new file in `dir`.
async fn write_anchor(
    db: &Db,
    sealer: &mut audit::Sealer,
    dir: &std::path::Path,
) -> Result<std::path::PathBuf> {
    let a = audit::anchor(db, sealer).await?;
    let stamp = chrono::DateTime::from_timestamp(a.at, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| a.at.to_string());
    let path = dir.join(format!("audit-anchor-{stamp}-{}.json", a.seq));
    append_line(&path, &a.to_line())?;
    Ok(path)
}

fn append_line(path: &std::path::Path, line: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("无法写入 {}", path.display()))?;
    writeln!(f, "{line}").with_context(|| format!("无法写入 {}", path.display()))?;
    f.sync_all()?;
    Ok(())
}

/// The anchors in `path`: a file of JSON lines, or every file of a directory.
fn read_anchors(path: &std::path::Path) -> Result<Vec<audit::Anchor>> {
    let files = if path.is_dir() {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("无法读取 {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut anchors = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("无法读取 {}", f.display()))?;
        anchors.extend(
            audit::Anchor::parse_lines(&text)
                .map_err(|e| anyhow::anyhow!("锚点文件 {}：{e}", f.display()))?,
        );
    }
    if anchors.is_empty() {
        bail!("{} 中没有审计锚点", path.display());
    }
    Ok(anchors)
}

/// The largest file an import command reads (the import's own limits then apply to its
/// content, as on the server).
const MAX_IMPORT_FILE: u64 = 1024 * 1024 * 1024;

fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("无法读取 {}", path.display()))?
        .len();
    if len > MAX_IMPORT_FILE {
        anyhow::bail!(
            "{} 有 {} MB，超过导入文件 {} MB 的上限",
            path.display(),
            len / (1024 * 1024),
            MAX_IMPORT_FILE / (1024 * 1024)
        );
    }
    std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))
}

/// Prints an import's problems (at most the first thousand) on standard error; when nothing
/// was imported, says so and returns false (the command then exits 2).
fn report_problems(report: &tabular::Report, imported: usize) -> bool {
    for p in report.problems.iter().take(1000) {
        eprintln!(
            "第{}行 {} {}：{}",
            p.row,
            p.column.as_deref().unwrap_or(""),
            p.cell.as_deref().unwrap_or(""),
            p.message
        );
    }
    if imported == 0 {
        println!(
            "未导入：文件 {} 行，问题 {} 处（见上）",
            report.total_rows,
            report.problems.len()
        );
        return false;
    }
    true
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("无法读取标准输入")?;
    Ok(s)
}

/// One trace step as Chinese text, with its citations.
fn step_text(s: &serde_json::Value) -> String {
    let str_of = |v: &serde_json::Value| match v {
        serde_json::Value::String(x) => x.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut out = format!(
        "{}. {}：{}\n",
        s["n"],
        str_of(&s["title"]),
        str_of(&s["text"])
    );
    for p in s["params"].as_array().into_iter().flatten() {
        let period = match &p["to"] {
            serde_json::Value::Null => format!("{}起", str_of(&p["from"])),
            t => format!("{}至{}", str_of(&p["from"]), str_of(t)),
        };
        let unverified = if p["verified"].as_bool() == Some(false) {
            "；默认值，待运营方确认"
        } else {
            ""
        };
        out.push_str(&format!(
            "   依据：{}（{}）= {} {}；{}；{}{}\n",
            str_of(&p["description"]),
            str_of(&p["key"]),
            str_of(&p["value"]),
            str_of(&p["unit"]),
            str_of(&p["source"]),
            period,
            unverified
        ));
    }
    out
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

fn print_accounts(accounts: &[demo::DemoAccount]) {
    println!("演示账户（仅演示模式，密码每次启动重新生成）：");
    for a in accounts {
        println!(
            "  {:<10} {:<18} 密码 {:<16} {}",
            a.role_label, a.username, a.password, a.org_name
        );
    }
}
