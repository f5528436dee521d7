//! `shuyuan`: the one binary. Subcommands set up, run and administer a deployment; see `shuyuan --help`.

mod bench;
mod config;
mod push;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use domain::clock::SystemClock;
use domain::profile::{Profile, DEFAULT_PROFILE};
use domain::roles::Role;
use indicatif::{ProgressBar, ProgressStyle};
use service::{Actor, Platform};

use crate::config::Config;

/// mimalloc rather than the system allocator: a sharing-API call allocates and frees many small buffers across
/// threads, where glibc's malloc spent about a tenth of the server's time (measured with perf, BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "shuyuan",
    version,
    about = "数源 Shuyuan — 城市公共数据平台 / the municipal public data platform",
    long_about = "数源 Shuyuan — 城市公共数据平台：目录、归集、共享、开放、监督考核。\n\
                  The municipal public data platform: catalog, aggregation, sharing, opening, supervision.\n\n\
                  Start a ready demo city:   shuyuan demo\n\
                  Set up a deployment:       shuyuan init --profile foshan-2020 --data-dir /srv/shuyuan\n\
                  Run it:                    shuyuan serve --data-dir /srv/shuyuan"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 启动演示城市 / Create (or reuse) a demo city and serve it, printing the demo accounts.
    Demo {
        /// Folder for the demo's database and config.
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Policy profile: lishui-2020, shuangyashan-2026, changsha-2021, yinzhou-2023, foshan-2020.
        #[arg(long, default_value = DEFAULT_PROFILE)]
        profile: String,
        /// Create the demo folder and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// People generated and delivered as the demo's population data (0 for none).
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        /// Enterprises generated and delivered as the demo's 企业登记信息 (0 for none). The other published
        /// resources get 20 to 500 rows each.
        #[arg(long, default_value_t = 200_000)]
        enterprises: u64,
    },
    /// 生成演示数据 / Write the demo city's data files, the same bytes for the same seed.
    Generate {
        #[command(subcommand)]
        command: GenerateCommand,
    },
    /// 初始化部署 / Write a config and initialize the database for a policy profile.
    Init {
        #[arg(long)]
        profile: String,
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        /// A postgres:// URL; default: a SQLite file in the data folder. Also SHUYUAN_DATABASE_URL.
        #[arg(long, env = "SHUYUAN_DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The first administrator's username.
        #[arg(long, default_value = "admin")]
        admin: String,
        /// The administrator's password (at least 10 characters); read from SHUYUAN_ADMIN_PASSWORD, or generated
        /// and printed once.
        #[arg(long, env = "SHUYUAN_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// 运行服务 / Serve a deployment from its config (data-dir/shuyuan.toml).
    Serve {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        /// Overrides the config's listen address. Also SHUYUAN_LISTEN.
        #[arg(long, env = "SHUYUAN_LISTEN")]
        listen: Option<String>,
    },
    /// 审计日志 / The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 用户管理 / Manage users from the server's console.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// 工作日日历 / The working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// 部门管理 / Register and list departments from the server's console.
    Departments {
        #[command(subcommand)]
        command: DepartmentsCommand,
    },
    /// 资源目录 / The resource catalog: import a department's spreadsheet, export views and lists.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// 数据归集 / Deliver a file (CSV in UTF-8 or GBK, XLSX, JSON lines or Parquet, told by its extension) of a resource's data: every row is checked against the published items, failing rows
    /// are quarantined with their reasons, and the accepted rows become the resource's next dataset version — unless
    /// more than the limit (5% by default) fail, when the batch is refused whole and the previous version stays.
    /// Prints the batch report. Exits 0 when the batch is committed, 2 when it is refused.
    Ingest {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        /// The resource's code (资源代码), e.g. 230500-003-00001.
        #[arg(long)]
        resource: String,
        /// How the CSV is encoded: auto (UTF-8 if it is, else GBK), utf-8 or gbk.
        #[arg(long, default_value = "auto")]
        encoding: String,
        file: PathBuf,
    },
    /// 前置机推送 / Push files of a folder, or a table of the department's database, to a platform's batches API
    /// with the department's API token. Each file goes under a batch key made from its bytes, so a rerun delivers
    /// nothing twice; in a folder, delivered files are listed in `.shuyuan-pushed` and skipped. Exits 0 when every
    /// batch is committed, 2 when one is refused.
    ///
    /// Example: shuyuan push --url https://data.example.gov.cn --resource 230500-003-00001 --mode merge ./outbox
    Push {
        /// The platform's address.
        #[arg(long, env = "SHUYUAN_URL")]
        url: String,
        /// The department's API token (or SHUYUAN_TOKEN).
        #[arg(long, env = "SHUYUAN_TOKEN", hide_env_values = true)]
        token: String,
        /// The resource's code (资源代码).
        #[arg(long)]
        resource: String,
        /// replace: each file is the whole dataset; merge: new and changed rows, put in by key.
        #[arg(long, default_value = "replace")]
        mode: String,
        /// How CSV files are encoded: auto, utf-8 or gbk.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// A table's database (postgres://… or mysql://…), with --table.
        #[arg(long, env = "SHUYUAN_SOURCE_URL", hide_env_values = true)]
        source_url: Option<String>,
        /// A table to read and push whole, with --source-url.
        #[arg(long)]
        table: Option<String>,
        /// The table's columns to send, each `item=column` or `column` (default: every column).
        #[arg(long, value_delimiter = ',')]
        columns: Vec<String>,
        /// Push again every this many minutes (new files in the folders, the table as it is then).
        #[arg(long)]
        every: Option<u64>,
        /// Files (CSV, XLSX, JSON lines, JSON, Parquet) or folders of them.
        paths: Vec<PathBuf>,
    },
    /// 数据查询 / Run a read-only SQL query (DataFusion) over the delivered data, as the authority: tables are the
    /// resource codes, quoted ("230500-003-00001"), or the same as identifiers (r230500_003_00001), each the newest
    /// version. Prints tab-separated rows with a header; `--timing` prints the query's own time to stderr.
    Query {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        timing: bool,
        sql: String,
    },
    /// 列出策略配置 / List the policy profiles shipped with this build.
    Profiles,
    /// A bare HTTP handler answering a fixed body (the HTTP floor of bench/share.sh).
    #[command(hide = true)]
    HttpFloor {
        #[arg(long, default_value = "127.0.0.1:18182")]
        listen: String,
    },
}

#[derive(Subcommand)]
enum DepartmentsCommand {
    /// Register a department, identified by its unified social credit code (GB 32100 check character).
    Add {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        #[arg(long)]
        name: String,
        /// authority, service_center, department or public_utility.
        #[arg(long, default_value = "department")]
        kind: String,
        /// The division code of its region (the city's, or a district's).
        #[arg(long)]
        region: String,
        #[arg(long)]
        uscc: String,
    },
    List {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum GenerateCommand {
    /// The population (columns gmsfhm, xm, xb, csrq, lxdh, zz of the demo's 户籍人口基本信息): valid citizen ID
    /// numbers of the profile's districts, names, sex, birth dates, phones, addresses; about 145 bytes a row.
    People {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Percent of rows given a wrong check character, to test refusals.
        #[arg(long, default_value_t = 0.0)]
        invalid_percent: f64,
        /// The profile whose city and districts people live in.
        #[arg(long, default_value = DEFAULT_PROFILE)]
        profile: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// The enterprises (columns tyshxydm, mc, fddbr, clrq, zs, ywzt of the demo's 企业登记信息): valid unified social
    /// credit codes registered in the profile's districts, names, legal representatives, founding dates, addresses.
    Enterprises {
        #[arg(long, default_value_t = 200_000)]
        rows: u64,
        #[arg(long, default_value_t = 2)]
        seed: u64,
        #[arg(long, default_value = DEFAULT_PROFILE)]
        profile: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Import entries from an XLSX or CSV file (UTF-8 or GBK): one row per data item, the resource's columns on its
    /// first row. Headers are the Chinese names (数据资源名称, 数据格式, 共享属性, 数据项名称, 数据项字段名 …) or
    /// the export's keys. The file goes in whole or not at all: if any line has a problem (a bad cell, a name
    /// repeated in the file or already cataloged, a missing required field with --submit, mixed encodings) nothing
    /// is imported and each problem is reported by line and column. Exits 0 when the file was imported, 2 when it
    /// was refused.
    Import {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        /// The provider's unified social credit code, for rows without a 提供部门代码.
        #[arg(long)]
        provider: Option<String>,
        /// Submit each imported entry for review (each must then be complete).
        #[arg(long)]
        submit: bool,
        /// How a CSV is encoded: auto (UTF-8 if the whole file is, else GBK), utf-8 or gbk.
        #[arg(long, default_value = "auto")]
        encoding: String,
        file: PathBuf,
    },
    /// Export a view of the published catalog: catalog, share, open, share_list, open_list, scenario_list,
    /// responsibility_list, negative_list or open_responsibility_list.
    Export {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "catalog")]
        view: String,
        /// csv, xlsx or json.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// Where to write it; the view's name and format in the current folder by default.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the SM3 chain; exit 0 when whole, 1 naming the first broken event.
    Verify {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
    },
    /// Measure durable, chained appends and verification on this machine (for BENCHMARKS.md).
    Bench {
        #[arg(long, default_value = "./shuyuan-bench")]
        data_dir: PathBuf,
        /// Events to append.
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        /// Concurrent appenders.
        #[arg(long, default_value_t = 256)]
        appenders: usize,
        /// A PostgreSQL server (postgres://…/postgres) to measure instead of SQLite; a fresh database is
        /// created on it for the run.
        #[arg(long)]
        postgres_server: Option<String>,
        /// Only verify the SQLite database a previous run left in --data-dir (for profiling and peers).
        #[arg(long)]
        verify_only: bool,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// List users.
    List {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
    },
    /// Create a user. The password is read from SHUYUAN_PASSWORD or generated and printed once.
    Add {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        username: String,
        #[arg(long)]
        name: String,
        /// authority_admin, service_operator, dept_data_officer, dept_security_officer, auditor, operator.
        #[arg(long)]
        role: Vec<String>,
        #[arg(long)]
        department_id: Option<i64>,
        #[arg(long, env = "SHUYUAN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Give a user a role (separation of duties applies).
    Grant {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        username: String,
        role: String,
    },
    /// Take a role from a user.
    Revoke {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        username: String,
        role: String,
    },
    /// Set a new password (from SHUYUAN_PASSWORD, or generated and printed) and end the user's sessions.
    Passwd {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        username: String,
        #[arg(long, env = "SHUYUAN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Load or replace a year from a holiday-cn JSON file (the State Council's notice).
    Load {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        file: PathBuf,
    },
    /// Compute a deadline: the day of receipt and a number of working days.
    Deadline {
        #[arg(long, default_value = "./shuyuan-data")]
        data_dir: PathBuf,
        from: chrono::NaiveDate,
        working_days: u32,
    },
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            std::process::exit(2);
        }
    }
}

async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Demo { data_dir, listen, profile, no_serve, people, enterprises } => demo(data_dir, listen, profile, no_serve, people, enterprises).await,
        Command::Generate { command: GenerateCommand::People { rows, seed, invalid_percent, profile, out } } => generate(&profile, &out, rows, |w, profile, districts, progress| {
            let spec = service::demo::people::People { rows, seed, districts, city_name: &profile.city_name, invalid_percent };
            service::demo::people::write_csv(w, &spec, progress)
        }),
        Command::Generate { command: GenerateCommand::Enterprises { rows, seed, profile, out } } => generate(&profile, &out, rows, |w, profile, districts, progress| {
            let spec = service::demo::enterprises::Enterprises { rows, seed, districts, city_name: &profile.city_name };
            service::demo::enterprises::write_csv(w, &spec, progress)
        }),
        Command::Init { profile, data_dir, database_url, listen, admin, admin_password } => {
            init_logging(false);
            Profile::shipped(&profile).map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
            let config = Config::new(&data_dir, &profile, database_url, &listen);
            let (password, generated) = match admin_password {
                Some(p) => (p, false),
                None => (generate_password(), true),
            };
            init(&data_dir, &config, &admin, &password).await?;
            println!("已初始化 / initialized: {} (profile {profile})", data_dir.join(config::FILE).display());
            if generated {
                println!("管理员 / administrator: {admin}  密码 / password: {password}  (shown once)");
            }
            Ok(0)
        }
        Command::Serve { data_dir, listen } => {
            let mut config = Config::load(&data_dir)?;
            if let Some(l) = listen {
                config.listen = l;
            }
            init_logging(config.log_json);
            serve(&data_dir, config).await
        }
        Command::Audit { command: AuditCommand::Verify { data_dir } } => {
            let platform = open(&data_dir).await?;
            let report = service::audit::verify(&platform, &Actor::cli()).await?;
            match report.broken {
                None => {
                    println!("审计哈希链完整 / audit chain whole: {} events verified (anchor {}, head {})", report.checked, report.anchor_seq, report.head_seq);
                    Ok(0)
                }
                Some(b) => {
                    println!("审计哈希链断裂 / audit chain BROKEN at event {}: {}", b.seq, b.reason);
                    Ok(1)
                }
            }
        }
        Command::Audit { command: AuditCommand::Bench { data_dir, events, appenders, postgres_server, verify_only } } => {
            bench::audit(bench::AuditBench { data_dir, events, appenders, postgres_server, verify_only }).await?;
            Ok(0)
        }
        Command::Users { command } => users(command).await,
        Command::Calendar { command: CalendarCommand::Load { data_dir, file } } => {
            let platform = open(&data_dir).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
            let year = domain::calendar::YearCalendar::from_holiday_cn_json(&text).map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
            let n = year.days.len();
            let y = year.year;
            service::calendar::load_year(&platform, &Actor::cli(), year).await?;
            println!("已载入 / loaded {y}: {n} days");
            Ok(0)
        }
        Command::Calendar { command: CalendarCommand::Deadline { data_dir, from, working_days } } => {
            let platform = open(&data_dir).await?;
            let due = service::calendar::deadline(&platform, from, working_days)?;
            println!("{}{}", due.due, if due.provisional { "  (暂定 provisional: that year's holidays are not loaded)" } else { "" });
            Ok(0)
        }
        Command::Catalog { command } => catalog(command).await,
        Command::Ingest { data_dir, resource, encoding, file } => ingest(&data_dir, &resource, &encoding, &file).await,
        Command::Query { data_dir, limit, timing, sql } => {
            let p = open(&data_dir).await?;
            attach_lake(&p, &data_dir).await?;
            let started = std::time::Instant::now();
            let answer = service::aggregation::query::query(&p, &Actor::cli(), service::aggregation::query::QueryRequest { sql, limit: Some(limit), versions: Default::default() }).await?;
            let elapsed = started.elapsed();
            println!("{}", answer.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("\t"));
            for row in &answer.rows {
                println!("{}", row.iter().map(|v| v.as_deref().unwrap_or("")).collect::<Vec<_>>().join("\t"));
            }
            if answer.truncated {
                eprintln!("（只显示前{limit}行 / first {limit} rows shown: raise --limit）");
            }
            if timing {
                eprintln!("query: {:.1} ms", elapsed.as_secs_f64() * 1000.0);
            }
            Ok(0)
        }
        Command::Push { url, token, resource, mode, encoding, source_url, table, columns, every, paths } => {
            push::run(push::Push { url, token, resource, mode, encoding, paths, source: source_url, table, columns, every }).await
        }
        Command::Departments { command: DepartmentsCommand::Add { data_dir, name, kind, region, uscc } } => {
            let p = open(&data_dir).await?;
            let input = service::orgs::DepartmentInput { name, name_en: String::new(), kind, region_code: region, uscc };
            let d = service::orgs::create_department(&p, &Actor::cli(), input).await?;
            println!("已登记 / registered {} {} (id {})", d.name, d.uscc, d.id);
            Ok(0)
        }
        Command::Departments { command: DepartmentsCommand::List { data_dir } } => {
            let p = open(&data_dir).await?;
            let (list, total) = service::orgs::list_departments(&p, 10_000, 0).await?;
            for d in list {
                println!("{:5} {} {:30} {}", d.id, d.uscc, d.name, d.kind.as_str());
            }
            println!("total {total}");
            Ok(0)
        }
        Command::HttpFloor { listen } => {
            let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listen on {listen}"))?;
            web::serve(listener, web::http_floor()).await?;
            Ok(0)
        }
        Command::Profiles => {
            for id in Profile::shipped_ids() {
                let p = Profile::shipped(id).map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
                println!("{id:20} {}  {}", p.name, p.name_en);
            }
            Ok(0)
        }
    }
}

async fn catalog(command: CatalogCommand) -> Result<i32> {
    match command {
        CatalogCommand::Import { data_dir, provider, submit, encoding, file } => {
            let encoding = service::catalog::import::Encoding::parse(&encoding)
                .ok_or_else(|| anyhow::anyhow!("未知编码“{encoding}”：可选 auto、utf-8、gbk / unknown encoding '{encoding}': auto, utf-8 or gbk"))?;
            let p = open(&data_dir).await?;
            let rows = service::catalog::import::read_table(&file, encoding).map_err(|e| anyhow::anyhow!("{e}"))?;
            let bar = ProgressBar::new(rows.len().saturating_sub(1) as u64);
            bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} 行 rows {msg}").expect("template"));
            let report = service::catalog::import::import(&p, &Actor::cli(), &rows, provider.as_deref(), submit, |line| bar.set_position(line.saturating_sub(1) as u64))
                .await?;
            bar.finish_and_clear();
            println!("读取 / read {} 行 rows；导入 / imported {} 条 entries{}", report.rows, report.created.len(), if submit { format!("，提交审核 / submitted {}", report.submitted.len()) } else { String::new() });
            for code in &report.created {
                println!("  + {code}");
            }
            for e in &report.errors {
                println!("  ! {} / {}", e.message, e.message_en);
            }
            Ok(if report.errors.is_empty() { 0 } else { 2 })
        }
        CatalogCommand::Export { data_dir, view, format, out } => {
            let p = open(&data_dir).await?;
            let table = service::catalog::views::derive(&p, &Actor::cli(), &view).await?;
            let (bytes, _) = service::catalog::views::export(&table, &format)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("{view}.{format}")));
            std::fs::write(&out, bytes).with_context(|| format!("write {}", out.display()))?;
            println!("已导出 / exported {} 行 rows to {}", table.rows.len(), out.display());
            Ok(0)
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHUYUAN_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

fn generate_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// Writes a generated demo file for `profile`'s city and districts, with a progress bar.
fn generate(
    profile: &str,
    out: &std::path::Path,
    rows: u64,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>, &Profile, &[(String, String)], &dyn Fn(u64)) -> std::io::Result<()>,
) -> Result<i32> {
    let profile = Profile::shipped(profile).map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
    let districts: Vec<(String, String)> = profile.districts.iter().map(|d| (d.code.clone(), d.name.clone())).collect();
    let file = std::fs::File::create(out).with_context(|| format!("创建 / create {}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let bar = ProgressBar::new(rows);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} 行 rows {per_sec}").expect("template"));
    write(&mut w, &profile, &districts, &|n| bar.set_position(n))?;
    std::io::Write::flush(&mut w)?;
    bar.finish_and_clear();
    println!("已生成 / wrote {rows} 行 rows → {}", out.display());
    Ok(0)
}

async fn init(data_dir: &std::path::Path, config: &Config, admin: &str, password: &str) -> Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("create {}", data_dir.display()))?;
    let store = store::Store::open(&config.database_url).await.with_context(|| format!("open {}", config.database_url))?;
    let now = domain::clock::to_micros(chrono::Utc::now());
    service::setup::initialize(&store, &config.profile, admin, password, now).await?;
    config.write(data_dir)?;
    Ok(())
}

async fn ingest(data_dir: &std::path::Path, resource: &str, encoding: &str, file: &std::path::Path) -> Result<i32> {
    let encoding = service::catalog::import::Encoding::parse(encoding)
        .ok_or_else(|| anyhow::anyhow!("未知编码“{encoding}”：可选 auto、utf-8、gbk / unknown encoding '{encoding}': auto, utf-8 or gbk"))?;
    let p = open(data_dir).await?;
    attach_lake(&p, data_dir).await?;
    let size = std::fs::metadata(file).map(|m| m.len()).with_context(|| format!("读取 / read {}", file.display()))?;
    let bar = ProgressBar::new(size);
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} 剩余/eta {eta}").expect("template"));
    let shown = bar.clone();
    let report = service::aggregation::ingest_file(&p, &Actor::cli(), resource, file, encoding, move |read| shown.set_position(read)).await?;
    bar.finish_and_clear();
    let committed = report.state == "committed";
    println!(
        "批次 / batch {}：{}{}",
        report.batch_id,
        if committed { "已入库 / committed" } else { "整批拒收 / refused" },
        report.version.map(|v| format!("，版本 / version {v}")).unwrap_or_default()
    );
    println!(
        "读取 / read {} 行 rows；接收 / accepted {}；隔离 / quarantined {}（{}%，上限 / limit {}%）；规范化 / normalized {}",
        report.rows_read, report.rows_accepted, report.rows_quarantined, report.failure_percent, report.max_failure_percent, report.rows_normalized
    );
    if let (Some(zh), Some(en)) = (&report.refusal, &report.refusal_en) {
        println!("  ! {zh} / {en}");
    }
    for problem in &report.problems {
        println!("  - {} {}：{} 行 rows", problem.item, problem.code, problem.count);
    }
    for sample in &report.samples {
        println!("  第{}行 / line {}：{} / {}", sample.line, sample.line, sample.message, sample.message_en);
    }
    Ok(if committed { 0 } else { 2 })
}

/// Attaches the lake the config names: `lake/` in the data folder, or an object store with `lake/` for staging.
async fn attach_lake(p: &Platform, data_dir: &std::path::Path) -> Result<()> {
    let config = Config::load(data_dir)?;
    let remote = config.lake_store();
    let dir = data_dir.join("lake");
    let place = remote.as_ref().map(|r| r.url.clone()).unwrap_or_else(|| dir.display().to_string());
    service::aggregation::attach(p, &dir, remote.as_ref()).await.with_context(|| format!("打开数据湖 / open the lake in {place}"))
}

async fn open(data_dir: &std::path::Path) -> Result<Arc<Platform>> {
    let config = Config::load(data_dir)?;
    let store = store::Store::open(&config.database_url).await.with_context(|| format!("open {}", config.database_url))?;
    Ok(Platform::open(store, Arc::new(SystemClock)).await?)
}

async fn serve(data_dir: &std::path::Path, config: Config) -> Result<i32> {
    let store = store::Store::open(&config.database_url).await.with_context(|| format!("open {}", config.database_url))?;
    let platform = Platform::open(store, Arc::new(SystemClock)).await?;
    attach_lake(&platform, data_dir).await?;
    service::secrets::attach(&platform, &data_dir.join("secret.key")).with_context(|| format!("read the secret key in {}", data_dir.display()))?;
    let journal = data_dir.join("journal");
    let sync = service::audit::JournalSync::from_millis(config.audit_sync_ms);
    service::audit::attach_journal(&platform, &journal, sync).await.with_context(|| format!("打开审计日志缓冲 / open the audit journal in {}", journal.display()))?;
    service::worker::start(&platform);
    let index_dir = config.index_dir(data_dir);
    service::catalog::search::attach(&platform, &index_dir).await.with_context(|| format!("open the catalog index in {}", index_dir.display()))?;
    let listener = tokio::net::TcpListener::bind(&config.listen).await.with_context(|| format!("listen on {}", config.listen))?;
    let secure_cookies = config.secure_cookies.unwrap_or_else(|| !is_loopback(&config.listen));
    let app = web::app(platform.clone(), web::WebOptions { secure_cookies, ..Default::default() });
    tracing::info!(listen = %config.listen, "serving");
    println!("数源 Shuyuan 已启动 / serving on http://{}", config.listen);
    web::serve(listener, app).await?;
    // Stopping: the journaled audit events go into the database now rather than at the next start.
    platform.audit_writer.settle().await;
    Ok(0)
}

fn is_loopback(listen: &str) -> bool {
    listen.starts_with("127.") || listen.starts_with("localhost") || listen.starts_with("[::1]")
}

async fn demo(data_dir: PathBuf, listen: String, profile: String, no_serve: bool, people: u64, enterprises: u64) -> Result<i32> {
    init_logging(false);
    let config_path = data_dir.join(config::FILE);
    if config_path.exists() {
        println!("复用已有演示数据 / reusing the demo in {}", data_dir.display());
    } else {
        Profile::shipped(&profile).map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
        let config = Config::new(&data_dir, &profile, None, &listen);
        let created = async {
            init(&data_dir, &config, "admin", service::demo::DEMO_PASSWORD).await?;
            let platform = open(&data_dir).await?;
            service::demo::seed(&platform).await?;
            let entries = service::demo::seed_catalog(&platform).await?;
            attach_lake(&platform, &data_dir).await?;
            let spinner = ProgressBar::new_spinner();
            spinner.enable_steady_tick(std::time::Duration::from_millis(200));
            if people > 0 {
                spinner.set_message(format!("生成并归集 / generating and delivering {people} people…"));
                if let Some(r) = service::demo::seed_people(&platform, &data_dir, people).await? {
                    spinner.suspend(|| println!("人口数据 / population: {} rows, version {}", r.rows_accepted, r.version.unwrap_or_default()));
                }
            }
            if enterprises > 0 {
                spinner.set_message(format!("生成并归集 / generating and delivering {enterprises} enterprises…"));
                if let Some(r) = service::demo::seed_enterprises(&platform, &data_dir, enterprises).await? {
                    spinner.suspend(|| println!("法人数据 / enterprises: {} rows, version {}", r.rows_accepted, r.version.unwrap_or_default()));
                }
            }
            spinner.set_message("归集其他资源的数据 / delivering the other resources' data…");
            let small = service::demo::seed_small(&platform, &data_dir).await?;
            spinner.finish_and_clear();
            println!("其他资源 / other resources: {small} delivered");
            platform.store.close().await;
            anyhow::Ok(entries)
        }
        .await;
        let entries = match created {
            Ok(n) => n,
            Err(e) => {
                // A half-made demo would be reused next time: leave nothing behind.
                let _ = std::fs::remove_dir_all(&data_dir);
                return Err(e);
            }
        };
        println!("目录 / catalog: {entries} entries");
        println!("已创建演示城市 / created the demo city ({profile}) in {}", data_dir.display());
    }
    if no_serve {
        return Ok(0);
    }
    let mut config = Config::load(&data_dir)?;
    config.listen = listen;
    println!("\n演示账号 / demo accounts (password: {}):", service::demo::DEMO_PASSWORD);
    for (user, role) in service::demo::accounts() {
        println!("  {user:12} {role}");
    }
    println!();
    serve(&data_dir, config).await
}

/// The platform, the named user and the parsed role, for `users grant` and `users revoke`.
async fn user_and_role(data_dir: &std::path::Path, username: &str, role: &str) -> Result<(Arc<Platform>, domain::orgs::User, Role)> {
    let role: Role = role.parse().map_err(|e: domain::Invalid| anyhow::anyhow!("{}", e.message_en))?;
    let p = open(data_dir).await?;
    let u = service::users::user_by_username(&p, username).await?;
    Ok((p, u, role))
}

async fn users(command: UsersCommand) -> Result<i32> {
    let actor = Actor::cli();
    match command {
        UsersCommand::List { data_dir } => {
            let p = open(&data_dir).await?;
            let (users, total) = service::users::list_users(&p, &actor, 1000, 0).await?;
            for u in users {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!("{:5} {:16} {:20} dept={:?} roles={} {}", u.id, u.username, u.display_name, u.department_id, roles.join(","), if u.active { "" } else { "(disabled)" });
            }
            println!("total {total}");
        }
        UsersCommand::Add { data_dir, username, name, role, department_id, password } => {
            let p = open(&data_dir).await?;
            let roles = role.iter().map(|r| r.parse::<Role>()).collect::<Result<Vec<_>, _>>().map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (generate_password(), true),
            };
            let u = service::users::create_user(&p, &actor, service::users::UserInput { username, display_name: name, password: password.clone(), department_id, roles })
                .await?;
            println!("created user {} (id {})", u.username, u.id);
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
        UsersCommand::Grant { data_dir, username, role } => {
            let (p, u, role) = user_and_role(&data_dir, &username, &role).await?;
            service::users::assign_role(&p, &actor, u.id, role).await?;
            println!("{username}: + {role}");
        }
        UsersCommand::Revoke { data_dir, username, role } => {
            let (p, u, role) = user_and_role(&data_dir, &username, &role).await?;
            service::users::remove_role(&p, &actor, u.id, role).await?;
            println!("{username}: - {role}");
        }
        UsersCommand::Passwd { data_dir, username, password } => {
            let p = open(&data_dir).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (generate_password(), true),
            };
            let u = service::users::user_by_username(&p, &username).await?;
            service::users::set_password(&p, &actor, u.id, &password).await?;
            println!("password of {username} changed; sessions ended");
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
    }
    Ok(0)
}
