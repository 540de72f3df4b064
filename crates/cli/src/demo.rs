//! Deterministic, Chongqing-shaped demo data. Every name is fictional and marked （演示）.

use anyhow::{Result, anyhow};
use domain::CreditCode;
use domain::orgs::{EnterpriseSize, OrgKind, Ownership, Role, SchoolLevel};
use domain::reference::{AREAS, AreaKind};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;
use store::accounts::{self, NewUser};
use store::orgs::NewOrg;
use store::{Actor, Db};

/// The seed: the policy document's number.
const SEED: u64 = 2023_1271;
pub const SCHOOLS_PER_SCALE: usize = 120;
pub const ENTERPRISES_PER_SCALE: usize = 5000;
pub const BANKS_PER_SCALE: usize = 24;

/// Credit-code charset (GB 32100-2015).
const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The n-th unique 9-character organisation code, scrambled so neighbours differ.
fn org_code(n: u64) -> String {
    const SPACE: u64 = 31u64.pow(9);
    // Multiplication by a unit modulo 31^9 is a bijection, so codes never repeat.
    let mut v = (n.wrapping_mul(1_000_003) + 7_654_321) % SPACE;
    let mut out = [b'0'; 9];
    for i in (0..9).rev() {
        out[i] = CHARSET[(v % 31) as usize];
        v /= 31;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

fn credit_code(dept: &str, category: &str, area: &str, n: u64) -> Result<String> {
    let body = format!("{dept}{category}{area}{}", org_code(n));
    CreditCode::from_body(&body)
        .map(|c| c.as_str().to_string())
        .map_err(|e| anyhow!("{e}"))
}

/// Industries the demo enterprises work in: the seed's strategic industries and life
/// services, and the "33618" clusters, each with a GB/T 4754-2017 code.
const INDUSTRIES: &[(&str, &str, u32)] = &[
    ("智能网联汽车", "C3612", 14),
    ("新能源汽车零部件", "C3670", 10),
    ("电子信息", "C3971", 12),
    ("集成电路", "C3973", 5),
    ("智能装备", "C3491", 8),
    ("机器人", "C3491", 4),
    ("先进材料", "C3099", 6),
    ("轻合金", "C3316", 3),
    ("生物医药", "C2720", 6),
    ("食品加工", "C1439", 7),
    ("软件信息", "I6513", 10),
    ("人工智能", "I6519", 4),
    ("工业互联网", "I6450", 3),
    ("新型储能", "C3841", 3),
    ("摩托车", "C3751", 3),
    ("智能家居", "C3856", 3),
    ("养老服务", "Q8514", 3),
    ("托育服务", "Q8330", 2),
    ("家政服务", "O8010", 2),
    ("物业服务", "K7020", 3),
];

const WORDS: &[&str] = &[
    "云帆", "启航", "星河", "嘉禾", "远山", "青川", "卓越", "鼎新", "合力", "恒泰", "锦程", "长风",
    "明德", "博创", "瑞丰", "华章", "新桥", "朝阳", "金穗", "翠岭", "同济", "聚源", "宏图", "天合",
    "凌云", "和盛", "智远", "润泽", "腾跃", "安澜", "汇川", "嘉陵", "缙云",
];

fn short_name(area: &str) -> String {
    let trimmed = area
        .trim_end_matches("土家族苗族自治县")
        .trim_end_matches("苗族土家族自治县")
        .trim_end_matches("自治县");
    let trimmed = trimmed.trim_end_matches("新区");
    let chars: Vec<char> = trimmed.chars().collect();
    if chars.len() > 2 && (trimmed.ends_with('区') || trimmed.ends_with('县')) {
        chars[..chars.len() - 1].iter().collect()
    } else if trimmed.starts_with("西部科学城") {
        "高新".to_string()
    } else if trimmed.starts_with("万盛") {
        "万盛".to_string()
    } else {
        chars.iter().take(2).collect()
    }
}

/// Areas weighted roughly by economic size: central districts and zones carry more.
fn area_weights() -> Vec<(usize, u32)> {
    AREAS
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let w = match a.code {
                "500105" | "500106" | "500112" | "500191" | "500192" => 10,
                "500103" | "500104" | "500107" | "500108" | "500113" | "500115" | "500118" => 6,
                _ => match a.kind {
                    AreaKind::District => 4,
                    AreaKind::Zone => 3,
                    AreaKind::County => 2,
                },
            };
            (i, w)
        })
        .collect()
}

fn pick_weighted(rng: &mut StdRng, items: &[(usize, u32)]) -> usize {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.gen_range(0..total);
    for (i, w) in items {
        if r < *w {
            return *i;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

pub fn schools(rng: &mut StdRng, count: usize) -> Result<Vec<NewOrg>> {
    let weights = area_weights();
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let area = &AREAS[pick_weighted(rng, &weights)];
        let roll = rng.gen_range(0..100);
        let (level, suffix) = match roll {
            0..=54 => (SchoolLevel::Secondary, "职业教育中心"),
            55..=84 => (SchoolLevel::HigherVocational, "职业技术学院"),
            85..=87 => (SchoolLevel::VocationalBachelor, "职业技术大学"),
            88..=95 => (SchoolLevel::Technician, "技工学校"),
            _ => (SchoolLevel::University, "应用技术学院"),
        };
        let word = WORDS[n % WORDS.len()];
        let name = format!(
            "重庆{}{}{}{}（演示）",
            short_name(area.name),
            word,
            suffix,
            n / WORDS.len() + 1
        );
        out.push(NewOrg {
            kind: OrgKind::School,
            code: credit_code("5", "2", area.code, 1_000_000 + n as u64)?,
            name,
            district: Some(area.code.to_string()),
            school_level: Some(level.as_str().to_string()),
            industry: None,
            size: None,
            ownership: None,
            unit_code: None,
        });
    }
    Ok(out)
}

pub fn enterprises(rng: &mut StdRng, count: usize) -> Result<Vec<NewOrg>> {
    let weights = area_weights();
    let ind_weights: Vec<(usize, u32)> = INDUSTRIES
        .iter()
        .enumerate()
        .map(|(i, x)| (i, x.2))
        .collect();
    let forms = ["有限公司", "股份有限公司", "科技有限公司", "集团有限公司"];
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let area = &AREAS[pick_weighted(rng, &weights)];
        let (ind_name, ind_code, _) = INDUSTRIES[pick_weighted(rng, &ind_weights)];
        let size = match rng.gen_range(0..100) {
            0..=4 => EnterpriseSize::Large,
            5..=24 => EnterpriseSize::Medium,
            25..=69 => EnterpriseSize::Small,
            _ => EnterpriseSize::Micro,
        };
        let ownership = match rng.gen_range(0..100) {
            0..=11 => Ownership::State,
            12..=84 => Ownership::Private,
            85..=91 => Ownership::Foreign,
            92..=97 => Ownership::Mixed,
            _ => Ownership::Collective,
        };
        let w1 = WORDS.choose(rng).copied().unwrap_or("云帆");
        let form = forms.choose(rng).copied().unwrap_or("有限公司");
        let name = format!(
            "重庆{}{}{}{}{}（演示）",
            short_name(area.name),
            w1,
            ind_name,
            form,
            n % 97 + 1
        );
        out.push(NewOrg {
            kind: OrgKind::Enterprise,
            code: credit_code("9", "1", area.code, n as u64)?,
            name,
            district: Some(area.code.to_string()),
            school_level: None,
            industry: Some(ind_code.to_string()),
            size: Some(size.as_str().to_string()),
            ownership: Some(ownership.as_str().to_string()),
            unit_code: None,
        });
    }
    Ok(out)
}

pub fn banks(rng: &mut StdRng, count: usize) -> Result<Vec<NewOrg>> {
    let weights = area_weights();
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let area = &AREAS[pick_weighted(rng, &weights)];
        let word = WORDS[(n * 7) % WORDS.len()];
        out.push(NewOrg {
            kind: OrgKind::Bank,
            code: credit_code("9", "1", area.code, 5_000_000_000 + n as u64)?,
            name: format!(
                "{}银行重庆{}支行{}（演示）",
                word,
                short_name(area.name),
                n + 1
            ),
            district: Some(area.code.to_string()),
            school_level: None,
            industry: Some("J6620".to_string()),
            size: Some(EnterpriseSize::Large.as_str().to_string()),
            ownership: Some(Ownership::State.as_str().to_string()),
            unit_code: None,
        });
    }
    Ok(out)
}

/// Loads demo organisations unless the database already has enterprises. Returns a summary.
pub async fn generate(db: &Db, scale: u32, postings: usize) -> Result<String> {
    let scale = scale.max(1) as usize;
    let existing = store::orgs::list(
        db,
        &store::orgs::Scope::All,
        &store::orgs::Filter {
            kind: Some(OrgKind::Enterprise),
            ..Default::default()
        },
        store::Paging::new(Some(1), Some(1)),
    )
    .await?
    .total;
    if existing > 0 {
        return Ok(format!("数据库已有 {existing} 家企业，跳过演示数据生成"));
    }
    let started = std::time::Instant::now();
    let mut rng = StdRng::seed_from_u64(SEED);
    let s = schools(&mut rng, SCHOOLS_PER_SCALE * scale)?;
    let e = enterprises(&mut rng, ENTERPRISES_PER_SCALE * scale)?;
    let b = banks(&mut rng, BANKS_PER_SCALE * scale)?;
    let (ns, ne, nb) = (s.len(), e.len(), b.len());
    let all: Vec<NewOrg> = s.into_iter().chain(e).chain(b).collect();
    let mut tx = db.begin().await?;
    let added = store::demo::insert_orgs(&mut tx, &all).await?;
    store::demo::record_bulk(
        &mut tx,
        &Actor::system("demo"),
        "org",
        json!({"scale": scale, "schools": ns, "enterprises": ne, "banks": nb, "added": added}),
    )
    .await?;
    tx.commit().await?;
    let na = crate::demo_applications::generate(db).await?;
    let m5 = crate::demo_majors::generate(db, postings).await?;
    Ok(format!(
        "已生成演示数据：院校 {} 所、企业 {} 家、金融机构 {} 家、申报 {} 件；{}（用时 {:.1} 秒）",
        ns,
        ne,
        nb,
        na,
        m5,
        started.elapsed().as_secs_f64()
    ))
}

pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role_label: &'static str,
    pub org_name: String,
}

pub fn random_password() -> String {
    // Letters and digits from distinct classes, plus a symbol: passes the strength rules.
    let mut rng = rand::rngs::OsRng;
    let alnum = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let body: String = (0..12)
        .map(|_| alnum[rng.gen_range(0..alnum.len())] as char)
        .collect();
    format!("Cj{body}#7")
}

/// Creates the demo accounts, one per role, or gives existing ones fresh passwords.
pub async fn reset_demo_accounts(db: &Db) -> Result<Vec<DemoAccount>> {
    let first = |kind: OrgKind| async move {
        store::orgs::list(
            db,
            &store::orgs::Scope::All,
            &store::orgs::Filter {
                kind: Some(kind),
                ..Default::default()
            },
            store::Paging::new(Some(1), Some(1)),
        )
        .await
        .map(|p| p.items.into_iter().next())
    };
    let mut targets = vec![
        (
            "admin",
            Role::Operator,
            store::orgs::get_by_code(db, store::orgs::OPERATOR_CODE).await?,
        ),
        (
            "fgw",
            Role::Department,
            store::orgs::get_by_code(db, "fgw").await?,
        ),
        (
            "jw",
            Role::Department,
            store::orgs::get_by_code(db, "jw").await?,
        ),
        (
            "yuzhong",
            Role::District,
            store::orgs::get_by_code(db, "500103").await?,
        ),
    ];
    targets.push(("school", Role::School, first(OrgKind::School).await?));
    targets.push((
        "enterprise",
        Role::Enterprise,
        first(OrgKind::Enterprise).await?,
    ));
    targets.push(("bank", Role::Bank, first(OrgKind::Bank).await?));
    let actor = Actor::system("demo");
    let mut out = Vec::new();
    for (username, role, org) in targets {
        let Some(org) = org else { continue };
        let password = random_password();
        let hash = web::auth::hash_password(&password).map_err(|e| anyhow!(e.to_string()))?;
        let mut tx = db.begin().await?;
        match accounts::user_id_by_username(db, username).await? {
            Some(id) => accounts::set_password(&mut tx, &actor, id, &hash).await?,
            None => {
                accounts::insert_user(
                    &mut tx,
                    &actor,
                    &NewUser {
                        username: username.to_string(),
                        display_name: format!("演示{}", role.label()),
                        org_id: org.id,
                        role: role.as_str().to_string(),
                        password_hash: Some(hash),
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        out.push(DemoAccount {
            username: username.to_string(),
            password,
            role_label: role.label(),
            org_name: org.name,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_valid_and_unique() {
        let mut rng = StdRng::seed_from_u64(SEED);
        let e = enterprises(&mut rng, 3000).unwrap();
        let s = schools(&mut rng, 300).unwrap();
        let mut codes: Vec<&str> = e.iter().chain(&s).map(|o| o.code.as_str()).collect();
        for c in &codes {
            CreditCode::parse(c).unwrap();
        }
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
        assert!(e.iter().all(|o| o.name.ends_with("（演示）")));
    }

    #[test]
    fn generation_is_deterministic() {
        let a = enterprises(&mut StdRng::seed_from_u64(SEED), 50).unwrap();
        let b = enterprises(&mut StdRng::seed_from_u64(SEED), 50).unwrap();
        assert_eq!(
            a.iter().map(|o| &o.name).collect::<Vec<_>>(),
            b.iter().map(|o| &o.name).collect::<Vec<_>>()
        );
    }

    #[test]
    fn short_names() {
        assert_eq!(short_name("渝中区"), "渝中");
        assert_eq!(short_name("石柱土家族自治县"), "石柱");
        assert_eq!(short_name("两江新区"), "两江");
        assert_eq!(short_name("西部科学城重庆高新区"), "高新");
    }
}
