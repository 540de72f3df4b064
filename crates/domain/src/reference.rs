//! Reference data shipped with the binary: Chongqing's areas, the 13 responsible
//! units and 13 measures of 渝发改社会〔2023〕1271号, and the industry lists the
//! platform speaks. Nothing here is read at runtime.

use serde::Serialize;

/// The kind of an [`Area`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// 区 (municipal district).
    District,
    /// 县, including 自治县.
    County,
    /// 功能区 (functional zone): not an administrative division.
    Zone,
}

impl AreaKind {
    pub const ALL: [AreaKind; 3] = [AreaKind::District, AreaKind::County, AreaKind::Zone];

    pub fn as_str(self) -> &'static str {
        match self {
            AreaKind::District => "district",
            AreaKind::County => "county",
            AreaKind::Zone => "zone",
        }
    }

    /// 区 / 县 / 功能区.
    pub fn label(self) -> &'static str {
        match self {
            AreaKind::District => "区",
            AreaKind::County => "县",
            AreaKind::Zone => "功能区",
        }
    }
}

/// A district, county or functional zone of Chongqing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Area {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: AreaKind,
}

const fn area_(code: &'static str, name: &'static str, kind: AreaKind) -> Area {
    Area { code, name, kind }
}

/// The 41 area units the programme addresses (the seed is sent to
/// “各区县（自治县）、两江新区、西部科学城重庆高新区、万盛经开区”).
///
/// First the 38 GB/T 2260 county-level divisions of Chongqing in code order
/// (26 区 and 12 县/自治县, as in `shared/data/chongqing-divisions.csv`), then the
/// three functional zones.
///
/// # Zone codes
///
/// The zones are **not** administrative divisions and have no GB/T 2260 code, so the
/// platform assigns them stable identifiers in the range 50019x, which GB/T 2260 has
/// never used for Chongqing so far:
///
/// * `500191` 两江新区
/// * `500192` 西部科学城重庆高新区
/// * `500193` 万盛经开区 — 万盛 was 万盛区 `500110` until 2011; since then `500110` is
///   綦江区 (万盛 is administratively part of it), so `500110` must not be used for the zone.
///
/// These three codes are platform identifiers: never reuse or renumber them.
pub const AREAS: &[Area] = &[
    area_("500101", "万州区", AreaKind::District),
    area_("500102", "涪陵区", AreaKind::District),
    area_("500103", "渝中区", AreaKind::District),
    area_("500104", "大渡口区", AreaKind::District),
    area_("500105", "江北区", AreaKind::District),
    area_("500106", "沙坪坝区", AreaKind::District),
    area_("500107", "九龙坡区", AreaKind::District),
    area_("500108", "南岸区", AreaKind::District),
    area_("500109", "北碚区", AreaKind::District),
    area_("500110", "綦江区", AreaKind::District),
    area_("500111", "大足区", AreaKind::District),
    area_("500112", "渝北区", AreaKind::District),
    area_("500113", "巴南区", AreaKind::District),
    area_("500114", "黔江区", AreaKind::District),
    area_("500115", "长寿区", AreaKind::District),
    area_("500116", "江津区", AreaKind::District),
    area_("500117", "合川区", AreaKind::District),
    area_("500118", "永川区", AreaKind::District),
    area_("500119", "南川区", AreaKind::District),
    area_("500120", "璧山区", AreaKind::District),
    area_("500151", "铜梁区", AreaKind::District),
    area_("500152", "潼南区", AreaKind::District),
    area_("500153", "荣昌区", AreaKind::District),
    area_("500154", "开州区", AreaKind::District),
    area_("500155", "梁平区", AreaKind::District),
    area_("500156", "武隆区", AreaKind::District),
    area_("500229", "城口县", AreaKind::County),
    area_("500230", "丰都县", AreaKind::County),
    area_("500231", "垫江县", AreaKind::County),
    area_("500233", "忠县", AreaKind::County),
    area_("500235", "云阳县", AreaKind::County),
    area_("500236", "奉节县", AreaKind::County),
    area_("500237", "巫山县", AreaKind::County),
    area_("500238", "巫溪县", AreaKind::County),
    area_("500240", "石柱土家族自治县", AreaKind::County),
    area_("500241", "秀山土家族苗族自治县", AreaKind::County),
    area_("500242", "酉阳土家族苗族自治县", AreaKind::County),
    area_("500243", "彭水苗族土家族自治县", AreaKind::County),
    area_("500191", "两江新区", AreaKind::Zone),
    area_("500192", "西部科学城重庆高新区", AreaKind::Zone),
    area_("500193", "万盛经开区", AreaKind::Zone),
];

/// The area with this code (exact match, no trimming).
pub fn area(code: &str) -> Option<&'static Area> {
    AREAS.iter().find(|a| a.code == code)
}

/// The area with this name. Besides the exact names in [`AREAS`], accepts the zones'
/// common longer/shorter names (重庆两江新区, 重庆高新区, 万盛经济技术开发区, …).
pub fn area_by_name(name: &str) -> Option<&'static Area> {
    let name = name.trim();
    if let Some(a) = AREAS.iter().find(|a| a.name == name) {
        return Some(a);
    }
    let code = match name {
        "重庆两江新区" => "500191",
        "重庆高新区" | "西部（重庆）科学城" | "西部(重庆)科学城" | "重庆高新技术产业开发区" => {
            "500192"
        }
        "万盛经济技术开发区" | "重庆万盛经济技术开发区" | "万盛经济开发区" => {
            "500193"
        }
        _ => return None,
    };
    area(code)
}

/// A municipal unit responsible for measures (the seed's 责任单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Unit {
    /// Stable short code, e.g. `"fgw"`.
    pub code: &'static str,
    /// The name exactly as the seed's （责任单位：…） writes it, e.g. `"市发展改革委"`.
    pub name: &'static str,
    /// The full name from the seed's list of issuing bodies.
    pub full_name: &'static str,
}

const fn unit_(code: &'static str, name: &'static str, full_name: &'static str) -> Unit {
    Unit {
        code,
        name,
        full_name,
    }
}

/// The 13 responsible units, in the order of the seed's list of issuing bodies.
pub const UNITS: &[Unit] = &[
    unit_("fgw", "市发展改革委", "重庆市发展和改革委员会"),
    unit_("jw", "市教委", "重庆市教育委员会"),
    unit_("jxw", "市经济信息委", "重庆市经济和信息化委员会"),
    unit_("mzj", "市民政局", "重庆市民政局"),
    unit_("czj", "市财政局", "重庆市财政局"),
    unit_("rsj", "市人力社保局", "重庆市人力资源和社会保障局"),
    unit_("ghzy", "市规划自然资源局", "重庆市规划和自然资源局"),
    unit_("wjw", "市卫生健康委", "重庆市卫生健康委员会"),
    unit_("gzw", "市国资委", "重庆市国有资产监督管理委员会"),
    unit_("jrj", "市金融监管局", "重庆市地方金融监督管理局"),
    unit_("sw", "重庆市税务局", "国家税务总局重庆市税务局"),
    unit_("rh", "人行重庆市分行", "中国人民银行重庆市分行"),
    unit_(
        "nfra",
        "国家金融监督管理总局重庆监管局",
        "国家金融监督管理总局重庆监管局",
    ),
];

/// The unit with this code.
pub fn unit(code: &str) -> Option<&'static Unit> {
    UNITS.iter().find(|u| u.code == code)
}

/// The unit with this short name (as in the seed) or full name.
pub fn unit_by_name(name: &str) -> Option<&'static Unit> {
    let name = name.trim();
    UNITS
        .iter()
        .find(|u| u.name == name)
        .or_else(|| UNITS.iter().find(|u| u.full_name == name))
}

/// One of the 13 measures of the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Measure {
    /// 1..=13, the seed's numbering.
    pub number: u8,
    /// The module name, e.g. `"enterprises"`.
    pub slug: &'static str,
    /// Short Chinese title.
    pub title: &'static str,
    /// Summary of the measure's text in the seed.
    pub summary: &'static str,
    /// `(unit code, lead)` exactly as the seed's （责任单位：…） lists them, in its order.
    /// Leads come first.
    pub units: &'static [(&'static str, bool)],
}

impl Measure {
    /// Lead units, in the seed's order.
    pub fn leads(&self) -> impl Iterator<Item = &'static Unit> + use<> {
        let units = self.units;
        units
            .iter()
            .filter(|(_, lead)| *lead)
            .filter_map(|(code, _)| unit(code))
    }

    /// All responsible units, in the seed's order.
    pub fn responsible_units(&self) -> impl Iterator<Item = &'static Unit> + use<> {
        let units = self.units;
        units.iter().filter_map(|(code, _)| unit(code))
    }

    /// Whether the unit with this code is responsible for (leads or co-handles) the measure.
    pub fn is_responsible(&self, unit_code: &str) -> bool {
        self.units.iter().any(|(c, _)| *c == unit_code)
    }

    /// Whether the unit with this code leads the measure.
    pub fn is_lead(&self, unit_code: &str) -> bool {
        self.units.iter().any(|(c, lead)| *c == unit_code && *lead)
    }
}

/// The 13 measures of 渝发改社会〔2023〕1271号, in order.
pub const MEASURES: &[Measure] = &[
    Measure {
        number: 1,
        slug: "pilots",
        title: "产教融合试点城市",
        summary: "组织符合条件的区县积极申报第二批国家产教融合试点城市，推动试点城市出台扎实有效的改革措施，发挥示范引领作用。启动市级产教融合试点城市培育遴选工作，推动建立产教融合试点城市体系。",
        units: &[("fgw", true), ("jw", true)],
    },
    Measure {
        number: 2,
        slug: "industries",
        title: "产教融合型行业和行业协会",
        summary: "围绕新一代信息技术、集成电路、人工智能、机器人、工业互联网、储能、智能制造、生物医药、新材料等战略性新兴产业，以及养老、托育、家政、物业等生活服务业，打造一批区域特色鲜明的产教融合型行业及高水平产教融合行业协会，推动行业组织更好融入产教融合改革。",
        units: &[
            ("fgw", true),
            ("jxw", false),
            ("mzj", false),
            ("rsj", false),
            ("wjw", false),
        ],
    },
    Measure {
        number: 3,
        slug: "enterprises",
        title: "产教融合型企业",
        summary: "组织行业领军企业积极申报第二批国家产教融合型企业。完善产教融合型企业培育库，制定符合本市实际的认定标准，建设培育市级产教融合型企业。",
        units: &[
            ("fgw", true),
            ("jw", true),
            ("jxw", false),
            ("czj", false),
            ("rsj", false),
            ("gzw", false),
            ("sw", false),
        ],
    },
    Measure {
        number: 4,
        slug: "projects",
        title: "产教融合储备项目",
        summary: "持续实施“十四五”教育强国推进工程，开展储备项目补充遴选，争取中央预算内投资支持符合条件的职业教育院校产教融合实训基地项目建设。将符合条件的职业教育产教融合项目纳入地方政府专项债券支持范围。",
        units: &[
            ("fgw", true),
            ("jw", false),
            ("jxw", false),
            ("rsj", false),
            ("czj", false),
        ],
    },
    Measure {
        number: 5,
        slug: "majors",
        title: "专业动态调整",
        summary: "鼓励引导职业院校优先发展一批新兴专业，加快建设一批人才紧缺专业，改造升级一批传统专业，撤并淘汰供给过剩、就业率低、职业岗位消失的专业，形成紧密对接产业链、创新链的专业体系。",
        units: &[("jw", true), ("rsj", false), ("jxw", false)],
    },
    Measure {
        number: 6,
        slug: "platforms",
        title: "协同创新平台",
        summary: "支持职业院校联合企业、科研院所共建重点实验室、工程研究中心、技术创新中心、创业创新中心、企业技术中心等创新平台，服务中小微企业技术升级和产品研发。推动职业院校在企业设立实习实训基地、企业在职业院校建设培育培训基地，推动校企共建共管产业学院、企业学院。",
        units: &[("jw", true), ("jxw", false)],
    },
    Measure {
        number: 7,
        slug: "cooperation",
        title: "企业深度参与校企合作",
        summary: "引导企业深度参与职业院校专业规划、教材开发、教学设计、课程设置、实习实训，实行校企联合招生、委托培养、订单培养和学徒制培养。支持企业接收学生实习实训，引导企业按岗位总量的一定比例设立学徒岗位。",
        units: &[("jw", true), ("jxw", false)],
    },
    Measure {
        number: 8,
        slug: "ownership",
        title: "混合所有制办学",
        summary: "支持有条件的产业园区和职业院校、普通高校合作举办混合所有制分校或产业学院。通过企业资本投入、社会资本投入等方式推进职业院校股份制、混合所有制改革，允许企业以资本、技术、管理等要素依法参与办学并享有相应权利。",
        units: &[("jw", true), ("jxw", false)],
    },
    Measure {
        number: 9,
        slug: "consortia",
        title: "市域产教融合联合体和行业共同体",
        summary: "打造以产业园区为基础的市域产教融合联合体，在重点行业和领域打造行业产教融合共同体。发挥职教集团（联盟）、市域产教融合联合体、产教融合共同体作用，提升人才培养质量，促进高质量就业。",
        units: &[("jw", true), ("jxw", false)],
    },
    Measure {
        number: 10,
        slug: "incentives",
        title: "组合式激励政策清单",
        summary: "在全面梳理现有支持职业教育产教融合政策举措的基础上，针对产教融合发展中存在的问题研究创新激励扶持举措，进一步健全“金融+财政+土地+信用”组合式激励政策清单。",
        units: &[
            ("fgw", true),
            ("jw", false),
            ("jxw", false),
            ("czj", false),
            ("sw", false),
            ("ghzy", false),
        ],
    },
    Measure {
        number: 11,
        slug: "finance",
        title: "金融支持",
        summary: "市发展改革委、市教委等市级部门加大向金融机构推荐职业教育产教融合中长期贷款项目的力度；鼓励银行机构按照“风险可控、商业可持续性”原则支持产教融合项目和产教融合型企业发展，鼓励保险机构开发产教融合相关保险产品。支持符合条件的产教融合型企业上市融资，支持符合条件的企业发行社会领域产业专项债券，重点用于实训基地建设。",
        units: &[
            ("fgw", true),
            ("jxw", false),
            ("jrj", false),
            ("rh", false),
            ("nfra", false),
        ],
    },
    Measure {
        number: 12,
        slug: "tax_credit",
        title: "税收抵免",
        summary: "落实国家产教融合建设试点相关税收政策，通过认证的产教融合型企业兴办职业教育的投资符合规定的，可按投资额30%的比例抵免当年应缴教育费附加和地方教育附加。",
        units: &[("sw", true)],
    },
    Measure {
        number: 13,
        slug: "land",
        title: "教育用地保障",
        summary: "企业投资或与政府合作建设职业院校、高等学校的建设用地按教育用地管理，符合《划拨用地目录》的可通过划拨方式供地，鼓励企业自愿以出让、租赁方式取得土地。探索采取长期租赁、租让结合、弹性年期出让方式供地。",
        units: &[("ghzy", true)],
    },
];

/// The measure with this number (1..=13).
pub fn measure(number: u8) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.number == number)
}

/// The measure with this slug (module name), e.g. `"tax_credit"`.
pub fn measure_by_slug(slug: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.slug == slug)
}

/// The measures a unit is responsible for (lead or co-responsible), in order.
pub fn measures_of_unit(unit_code: &str) -> impl Iterator<Item = &'static Measure> + '_ {
    MEASURES.iter().filter(move |m| m.is_responsible(unit_code))
}

/// Strategic emerging industries named in measure 2, in the seed's order.
pub const STRATEGIC_INDUSTRIES: &[&str] = &[
    "新一代信息技术",
    "集成电路",
    "人工智能",
    "机器人",
    "工业互联网",
    "储能",
    "智能制造",
    "生物医药",
    "新材料",
];

/// Life services named in measure 2, in the seed's order.
pub const LIFE_SERVICES: &[&str] = &["养老", "托育", "家政", "物业"];

/// A cluster of Chongqing's “33618” modern manufacturing cluster system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Cluster {
    /// `t{tier}-{nn}`, e.g. `"t1-01"`.
    pub code: &'static str,
    pub name: &'static str,
    /// 万亿级 / 五千亿级 / 千亿级 / 新星.
    pub tier: &'static str,
}

const fn cluster_(code: &'static str, name: &'static str, tier: &'static str) -> Cluster {
    Cluster { code, name, tier }
}

/// Tier 1: 万亿级主导产业集群.
pub const TIER_TRILLION: &str = "万亿级";
/// Tier 2: 五千亿级支柱产业集群.
pub const TIER_FIVE_HUNDRED_BILLION: &str = "五千亿级";
/// Tier 3: 千亿级特色优势产业集群.
pub const TIER_HUNDRED_BILLION: &str = "千亿级";
/// Tier 4: “新星”产业集群.
pub const TIER_RISING_STAR: &str = "新星";

/// Chongqing's “33618” modern manufacturing cluster system: 3 万亿级主导产业集群,
/// 3 五千亿级支柱产业集群, 6 千亿级特色优势产业集群 and 18 “新星”产业集群.
///
/// **Incomplete on purpose:** the 3 + 3 + 6 clusters are complete, but only 14 of the
/// 18 “新星” clusters are listed — those we are confident were published. The
/// remaining four are left out rather than guessed; add them (codes `t4-15`..`t4-18`)
/// from the official list when it is at hand. Codes are stable: never renumber.
pub const CLUSTERS_33618: &[Cluster] = &[
    cluster_("t1-01", "智能网联新能源汽车", TIER_TRILLION),
    cluster_("t1-02", "新一代电子信息制造业", TIER_TRILLION),
    cluster_("t1-03", "先进材料", TIER_TRILLION),
    cluster_("t2-01", "智能装备及智能制造", TIER_FIVE_HUNDRED_BILLION),
    cluster_("t2-02", "食品及农产品加工", TIER_FIVE_HUNDRED_BILLION),
    cluster_("t2-03", "软件信息服务", TIER_FIVE_HUNDRED_BILLION),
    cluster_("t3-01", "新型显示", TIER_HUNDRED_BILLION),
    cluster_("t3-02", "高端摩托车", TIER_HUNDRED_BILLION),
    cluster_("t3-03", "轻合金材料", TIER_HUNDRED_BILLION),
    cluster_("t3-04", "轻纺", TIER_HUNDRED_BILLION),
    cluster_("t3-05", "生物医药", TIER_HUNDRED_BILLION),
    cluster_("t3-06", "新能源及新型储能", TIER_HUNDRED_BILLION),
    cluster_("t4-01", "功率半导体及集成电路", TIER_RISING_STAR),
    cluster_("t4-02", "AI及机器人", TIER_RISING_STAR),
    cluster_("t4-03", "服务器", TIER_RISING_STAR),
    cluster_("t4-04", "智能家居", TIER_RISING_STAR),
    cluster_("t4-05", "传感器及仪器仪表", TIER_RISING_STAR),
    cluster_("t4-06", "智能制造装备", TIER_RISING_STAR),
    cluster_("t4-07", "动力装备", TIER_RISING_STAR),
    cluster_("t4-08", "农机装备", TIER_RISING_STAR),
    cluster_("t4-09", "纤维及复合材料", TIER_RISING_STAR),
    cluster_("t4-10", "合成材料", TIER_RISING_STAR),
    cluster_("t4-11", "现代中药", TIER_RISING_STAR),
    cluster_("t4-12", "医疗器械", TIER_RISING_STAR),
    cluster_("t4-13", "卫星互联网", TIER_RISING_STAR),
    cluster_("t4-14", "光伏", TIER_RISING_STAR),
];

/// The cluster with this code.
pub fn cluster(code: &str) -> Option<&'static Cluster> {
    CLUSTERS_33618.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn areas() {
        assert_eq!(AREAS.len(), 41);
        let codes: HashSet<_> = AREAS.iter().map(|a| a.code).collect();
        assert_eq!(codes.len(), 41);
        let names: HashSet<_> = AREAS.iter().map(|a| a.name).collect();
        assert_eq!(names.len(), 41);
        // Divisions in code order, then the zones in code order.
        assert!(AREAS[..38].windows(2).all(|w| w[0].code < w[1].code));
        assert!(AREAS[38..].windows(2).all(|w| w[0].code < w[1].code));
        for a in AREAS {
            assert_eq!(a.code.len(), 6);
            assert!(a.code.bytes().all(|b| b.is_ascii_digit()));
            assert!(a.code.starts_with("50"));
            let expected = match &a.code[..4] {
                "5001" if a.code >= "500191" => AreaKind::Zone,
                "5001" => AreaKind::District,
                _ => AreaKind::County,
            };
            assert_eq!(a.kind, expected, "{}", a.name);
            match a.kind {
                AreaKind::District => assert!(a.name.ends_with('区')),
                AreaKind::County => assert!(a.name.ends_with('县')),
                AreaKind::Zone => {}
            }
            assert_eq!(area(a.code), Some(a));
            assert_eq!(area_by_name(a.name), Some(a));
            assert!(crate::DivisionCode::parse(a.code).is_ok());
        }
        let count = |k| AREAS.iter().filter(|a| a.kind == k).count();
        assert_eq!(count(AreaKind::District), 26);
        assert_eq!(count(AreaKind::County), 12);
        assert_eq!(count(AreaKind::Zone), 3);
        assert_eq!(area("500110").unwrap().name, "綦江区");
        assert_eq!(area_by_name("重庆高新区").unwrap().code, "500192");
        assert_eq!(area_by_name("万盛经济技术开发区").unwrap().code, "500193");
        assert_eq!(area_by_name("北京"), None);
        assert_eq!(area("500232"), None);
        // The seed's addressees.
        for z in ["两江新区", "西部科学城重庆高新区", "万盛经开区"] {
            assert_eq!(area_by_name(z).unwrap().kind, AreaKind::Zone);
        }
    }

    #[test]
    fn areas_match_csv() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/chongqing-divisions.csv"
        );
        let csv = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path} (the shared reference data): {e}"));
        let rows: Vec<(String, String)> = csv
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (c, n) = l.trim().split_once(',').expect("code,name");
                (c.trim().to_owned(), n.trim().to_owned())
            })
            .collect();
        assert_eq!(rows.len(), 38);
        let ours: Vec<(String, String)> = AREAS
            .iter()
            .filter(|a| a.kind != AreaKind::Zone)
            .map(|a| (a.code.to_owned(), a.name.to_owned()))
            .collect();
        assert_eq!(ours, rows);
        assert!(AREAS[38..].iter().all(|a| a.kind == AreaKind::Zone));
    }

    #[test]
    fn area_kind_serde() {
        for k in AreaKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
    }

    #[test]
    fn units() {
        assert_eq!(UNITS.len(), 13);
        let codes: HashSet<_> = UNITS.iter().map(|u| u.code).collect();
        assert_eq!(codes.len(), 13);
        let names: HashSet<_> = UNITS.iter().map(|u| u.name).collect();
        assert_eq!(names.len(), 13);
        for u in UNITS {
            assert_eq!(unit(u.code), Some(u));
            assert_eq!(unit_by_name(u.name), Some(u));
            assert_eq!(unit_by_name(u.full_name), Some(u));
        }
        assert_eq!(unit_by_name("市教委").unwrap().code, "jw");
        assert_eq!(unit("xyz"), None);
        assert_eq!(
            UNITS.iter().map(|u| u.code).collect::<Vec<_>>(),
            [
                "fgw", "jw", "jxw", "mzj", "czj", "rsj", "ghzy", "wjw", "gzw", "jrj", "sw", "rh",
                "nfra"
            ]
        );
    }

    #[test]
    fn every_unit_is_responsible_for_something() {
        for u in UNITS {
            assert!(measures_of_unit(u.code).next().is_some(), "{}", u.name);
        }
    }

    #[test]
    fn measures() {
        assert_eq!(MEASURES.len(), 13);
        let slugs = [
            "pilots",
            "industries",
            "enterprises",
            "projects",
            "majors",
            "platforms",
            "cooperation",
            "ownership",
            "consortia",
            "incentives",
            "finance",
            "tax_credit",
            "land",
        ];
        for (i, m) in MEASURES.iter().enumerate() {
            assert_eq!(usize::from(m.number), i + 1);
            assert_eq!(m.slug, slugs[i]);
            assert_eq!(measure(m.number), Some(m));
            assert_eq!(measure_by_slug(m.slug), Some(m));
            assert!(!m.title.is_empty() && !m.summary.is_empty());
            assert!(!m.units.is_empty());
            assert!(m.units[0].1, "measure {} must start with a lead", m.number);
            // Leads form a prefix.
            let leads = m.units.iter().take_while(|(_, l)| *l).count();
            assert!(m.units[leads..].iter().all(|(_, l)| !l));
            assert_eq!(m.leads().count(), leads);
            let codes: HashSet<_> = m.units.iter().map(|(c, _)| *c).collect();
            assert_eq!(codes.len(), m.units.len(), "duplicate unit in {}", m.number);
            for (c, _) in m.units {
                assert!(unit(c).is_some(), "unknown unit {c}");
            }
            assert_eq!(m.responsible_units().count(), m.units.len());
        }
        assert_eq!(measure(0), None);
        assert_eq!(measure(14), None);
        let codes = |n: u8| {
            measure(n)
                .unwrap()
                .units
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(3), ["fgw", "jw", "jxw", "czj", "rsj", "gzw", "sw"]);
        assert_eq!(codes(11), ["fgw", "jxw", "jrj", "rh", "nfra"]);
        assert_eq!(codes(12), ["sw"]);
        assert_eq!(codes(13), ["ghzy"]);
        assert!(measure(1).unwrap().is_lead("jw"));
        assert!(measure(3).unwrap().is_lead("jw"));
        assert!(!measure(4).unwrap().is_lead("jw"));
        assert!(measure(4).unwrap().is_responsible("jw"));
    }

    /// Every measure's unit list, as names, appears verbatim in the seed.
    #[test]
    fn measure_units_match_seed() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/seed/000_546bb02346796a8a.txt"
        );
        let seed = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path} (the shared reference data): {e}"));
        // Join the hard-wrapped lines so that each （责任单位：…） is contiguous.
        let text: String = seed.chars().filter(|c| !c.is_whitespace()).collect();
        let lists: Vec<Vec<&str>> = text
            .split("（责任单位：")
            .skip(1)
            .map(|rest| {
                rest.split_once('）')
                    .expect("closing parenthesis")
                    .0
                    .split(['、', '，'])
                    .collect()
            })
            .collect();
        assert_eq!(lists.len(), 13);
        for (m, list) in MEASURES.iter().zip(lists) {
            let ours: Vec<&str> = m.responsible_units().map(|u| u.name).collect();
            assert_eq!(ours, list, "measure {}", m.number);
        }
        for u in UNITS {
            assert!(text.contains(u.full_name), "{}", u.full_name);
        }
        for s in STRATEGIC_INDUSTRIES.iter().chain(LIFE_SERVICES) {
            assert!(text.contains(s), "{s}");
        }
    }

    #[test]
    fn clusters() {
        let codes: HashSet<_> = CLUSTERS_33618.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), CLUSTERS_33618.len());
        let tier = |t| CLUSTERS_33618.iter().filter(|c| c.tier == t).count();
        assert_eq!(tier(TIER_TRILLION), 3);
        assert_eq!(tier(TIER_FIVE_HUNDRED_BILLION), 3);
        assert_eq!(tier(TIER_HUNDRED_BILLION), 6);
        assert!(tier(TIER_RISING_STAR) <= 18);
        for c in CLUSTERS_33618 {
            assert_eq!(cluster(c.code), Some(c));
        }
        assert_eq!(STRATEGIC_INDUSTRIES.len(), 9);
        assert_eq!(LIFE_SERVICES.len(), 4);
    }
}
