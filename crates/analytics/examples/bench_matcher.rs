//! Times building the job-title matcher over ~1,600 synthetic occupations and
//! matching 100,000 titles drawn (with repeats, as in a postings file) from a
//! pool of noisy titles.
//!
//! `cargo run --release -p analytics --example bench_matcher`

use std::hint::black_box;
use std::time::Instant;

use analytics::matcher::{Matcher, OccupationDoc};

const OCCUPATIONS: usize = 1_600;
const TITLES: usize = 100_000;

/// Real-looking names placed first so that the common titles have a target:
/// one `name description` per line.
const SPECIAL: &str = "
汽车装配工 使用工具和设备，进行汽车零部件、总成和整车装配与调试的人员。
数控车工 操作数控车床，对工件旋转表面进行切削加工的人员。
车工 操作车床，对工件旋转表面进行切削加工的人员。
铣工 操作铣床，对工件进行铣削加工的人员。
焊工 操作焊接设备，对金属工件进行焊接的人员。
电工 从事电气设备安装、调试、维护和检修的人员。
软件研发工程技术人员 从事计算机软件需求分析、设计、编码、开发、测试和维护的工程技术人员。
软件测试员 从事软件功能、性能测试与缺陷管理的人员。
养老护理员 对老年人进行生活照料和护理的服务人员。
医疗护理员 在医疗机构协助护士对患者进行生活照护的人员。
电子设备装接工 进行电子元器件插装、焊接和电子设备装配连接的人员。
保育师 在托育机构和幼儿园从事婴幼儿保育工作的人员。
家政服务员 在家庭从事做饭、保洁、照料老人和婴幼儿等服务的人员。
中式烹调师 运用多种技法制作中式菜肴的人员。
快递员 从事快件收寄、分拣、派送的人员。
信息通信网络运行管理员 从事信息通信网络运行监测、维护与故障处理的人员。
工业机器人系统操作员 操作工业机器人系统进行编程、调试和生产作业的人员。
砌筑工 使用砖、石、砌块等材料砌筑墙体的人员。
叉车司机 驾驶叉车进行货物装卸和搬运的人员。
营销员 从事产品推广、客户开发与销售服务的人员。
";

/// Industries, combined with every role below into synthetic names.
const DOMAINS: &str = "
汽车 电子设备 数控机床 化工 食品 纺织 建筑 电力 铁路 航空 船舶 机械 仪器仪表 医疗器械 制药 饮料 家具
印刷 塑料 橡胶 玻璃 陶瓷 水泥 钢铁 有色金属 石油 天然气 煤矿 燃气 供水 污水处理 环境监测 农产品 林业
畜牧 水产 茶叶 粮油 物流 仓储 电子商务 网络 软件 信息系统 数据库 人工智能 物联网 云计算 大数据
集成电路 光伏 新能源汽车 动力电池 智能制造 无人机 增材制造 半导体 液晶显示 光纤通信 电梯 锅炉
压力容器 冷链 摩托车 轨道交通 模具
";

/// `role activity` per line.
const ROLES: &str = "
装配工 零部件和整机的装配与调整
操作工 生产设备的操作与运行监控
维修工 设备的检查、维护和故障修理
检验员 原材料、半成品和成品的质量检验
调试员 设备和系统的安装调试
工程技术人员 技术研究、设计开发与工艺改进
管理员 系统运行管理与日常维护
设计师 产品和方案的设计
安装工 设备和设施的安装施工
包装工 产品的计量、包装与标识
制造工 产品的加工与制造
运行值班员 生产装置的运行值班与巡检
加工工 原料和部件的加工
保管员 物资的收发与保管
技术员 生产现场的技术服务
分析员 样品的化验分析
监测员 运行参数和环境的监测
装调工 部件的装配与调试
测试员 产品性能和功能的测试
营销员 产品推广与销售服务
研发人员 新产品和新技术的研究开发
工艺员 生产工艺的编制与实施
质量管理员 质量体系的运行与改进
设备管理员 设备台账、点检和维护计划的管理
安全员 安全生产的检查与隐患整改
";

const NOISE_BEFORE: &[&str] = &["", "", "急招", "高薪诚聘", "【急招】", "重庆渝北", "招聘"];
const NOISE_AFTER: &[&str] = &[
    "",
    "",
    "（双休）",
    " 包吃住",
    "学徒",
    "(长白班)",
    "/师傅",
    " 五险一金 月薪8000",
    "（储备）",
];

/// Free-form titles, including some that match nothing.
const FREE: &str = "
Java开发工程师 Python开发工程师 前端开发工程师 数控车床操作工 CNC操作工 护理员/护工 养老院护理员（双休）
普工 电子厂普工 快递派送员 住家保姆 月嫂 厨师 叉车工 电焊工 asdfgh 快来 网络运维 软件测试 仓库管理员
销售代表 汽车销售顾问
";

/// Splits `first rest` lines.
fn pairs(table: &'static str) -> Vec<(&'static str, &'static str)> {
    table
        .lines()
        .filter_map(|line| line.trim().split_once(' '))
        .collect()
}

/// Deterministic pseudo-random numbers (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn occupations() -> Vec<OccupationDoc> {
    let mut docs: Vec<OccupationDoc> = Vec::with_capacity(OCCUPATIONS);
    let mut push = |name: String, description: String| {
        if docs.len() < OCCUPATIONS && !docs.iter().any(|d| d.name == name) {
            let n = docs.len();
            let code = format!(
                "{}-{:02}-{:02}-{:02}",
                2 + n % 5,
                n / 400 + 1,
                n / 20 % 20 + 1,
                n % 20 + 1
            );
            docs.push(OccupationDoc {
                code,
                name,
                description,
            });
        }
    };
    for (name, description) in pairs(SPECIAL) {
        push(name.to_string(), description.to_string());
    }
    let domains: Vec<&str> = DOMAINS.split_whitespace().collect();
    let roles = pairs(ROLES);
    // Walk domains × roles diagonally so that every domain and role is used.
    for step in 0..domains.len() * roles.len() {
        let domain = domains[step % domains.len()];
        let (role, activity) = roles[(step / domains.len() + step) % roles.len()];
        push(
            format!("{domain}{role}"),
            format!("从事{domain}行业{activity}工作的人员。"),
        );
    }
    docs
}

fn titles(docs: &[OccupationDoc], rng: &mut Lcg) -> Vec<String> {
    // A pool of distinct titles, then a skewed draw: a few titles are very
    // common, most are rare, as in a postings file.
    let mut pool: Vec<String> = FREE.split_whitespace().map(str::to_string).collect();
    while pool.len() < 8_000 {
        let doc = &docs[rng.below(docs.len())];
        let before = NOISE_BEFORE[rng.below(NOISE_BEFORE.len())];
        let after = NOISE_AFTER[rng.below(NOISE_AFTER.len())];
        pool.push(format!("{before}{}{after}", doc.name));
    }
    (0..TITLES)
        .map(|_| {
            let a = rng.below(pool.len());
            let b = rng.below(pool.len());
            pool[a.min(b).min(rng.below(pool.len()))].clone()
        })
        .collect()
}

fn main() {
    let docs = occupations();
    let mut rng = Lcg(2022);
    let titles = titles(&docs, &mut rng);
    let distinct = {
        let mut t: Vec<&String> = titles.iter().collect();
        t.sort();
        t.dedup();
        t.len()
    };

    // Best of three, to keep other processes' noise out of the build time.
    let jieba_load = (0..3)
        .map(|_| {
            let start = Instant::now();
            black_box(jieba_rs::Jieba::new());
            start.elapsed()
        })
        .min()
        .unwrap_or_default();
    let mut build = std::time::Duration::MAX;
    let mut matcher = None;
    for _ in 0..3 {
        let start = Instant::now();
        let built = Matcher::new(&docs);
        build = build.min(start.elapsed());
        matcher = Some(built);
    }
    let Some(matcher) = matcher else { return };
    println!(
        "occupations: {}   build: {:.1} ms (jieba dictionary alone: {:.1} ms, so index ≈ {:.1} ms)",
        matcher.len(),
        build.as_secs_f64() * 1e3,
        jieba_load.as_secs_f64() * 1e3,
        (build.as_secs_f64() - jieba_load.as_secs_f64()).max(0.0) * 1e3,
    );

    let start = Instant::now();
    let mut matched = 0usize;
    let mut confident = 0usize;
    for title in &titles {
        if let Some(c) = black_box(matcher.match_title(title)) {
            matched += 1;
            confident += usize::from(c.confidence >= 0.9);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "match_title: {TITLES} titles in {:.3} s = {:.0} titles/s   ({:.2} µs/title; matched {:.1}%, confidence ≥ 0.9: {:.1}%)",
        elapsed,
        TITLES as f64 / elapsed,
        elapsed * 1e6 / TITLES as f64,
        100.0 * matched as f64 / TITLES as f64,
        100.0 * confident as f64 / TITLES as f64,
    );

    let start = Instant::now();
    let all = black_box(matcher.match_all(titles.iter().map(String::as_str)));
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(all.len(), TITLES);
    println!(
        "match_all:   {TITLES} titles ({distinct} distinct) in {:.3} s = {:.0} titles/s",
        elapsed,
        TITLES as f64 / elapsed,
    );

    let start = Instant::now();
    for title in titles.iter().take(TITLES / 10) {
        black_box(matcher.best(title, 5));
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "best(k=5):   {} titles in {:.3} s = {:.0} titles/s",
        TITLES / 10,
        elapsed,
        (TITLES / 10) as f64 / elapsed,
    );

    for title in [
        "急招汽车装配工 包吃住",
        "Java开发工程师",
        "数控车床操作工",
        "护理员/护工",
        "快来",
    ] {
        match matcher.match_title(title) {
            Some(c) => println!(
                "  {title} → {} {} ({:.2}) {}",
                c.code,
                c.name,
                c.confidence,
                c.reason()
            ),
            None => println!("  {title} → (none)"),
        }
    }
}
