//! Free-text job titles matched to occupations of the 职业分类大典 (2022).
//!
//! Job postings and enterprise demand records carry either an occupation code
//! (`4-04-05-01`) or a free-text title ("汽车装配工（急招）", "Java开发工程师"). A
//! [`Matcher`] is built once over the occupation list and then ranks
//! occupations for any number of titles; it is `Send + Sync`, so one instance
//! can be shared by threads.
//!
//! # Pipeline
//!
//! 1. **Normalisation.** Full-width ASCII becomes half-width, Latin letters are
//!    lower-cased, text inside brackets — `()`, `[]`, `{}`, `【】`, `〔〕`, `〖〗`,
//!    `「」`, `『』`, `<>` — is set aside as noise ("（急招）", "(双休)"), and every
//!    other character that is neither a letter nor a digit (`/`, `、`, spaces,
//!    `-`, …) splits the title into segments. If nothing is left outside the
//!    brackets ("【汽车装配工】"), the bracketed text is used instead. Only
//!    the first 256 characters of a title are read.
//! 2. **Segmentation.** Each segment is cut by jieba (no HMM), with every
//!    occupation name added to the dictionary so that names segment whole.
//!    Digit-only tokens and posting stop words ([`STOP_WORDS`]: 招聘, 急招,
//!    包吃住, 双休, 储备, 师傅, 高级, …) are dropped; what remains, concatenated,
//!    is the title's *core* ([`Matcher::normalize_title`]). The remaining
//!    tokens form *units*: each token of two or more characters, and each run
//!    of single CJK characters (an unknown word that jieba split up).
//! 3. **Terms.** Two kinds of term are drawn from every unit: *words* — the
//!    unit itself and, for longer units, its 2- and 3-character substrings
//!    that are dictionary words (jieba's search mode) — and *bigrams*, pairs of
//!    adjacent CJK characters inside the unit, which keep unseen words
//!    matchable ("养老院" still shares "养老" with "养老护理员"). Bigrams never
//!    span two units, so "汽车/工程师" does not produce "车工". A unit listed
//!    in [`ALIASES`] ("java", "护工", "运维", …) also brings the words that
//!    stand for it in the classification ("软件", "护理员", "运行"/"维护").
//!    Occupation names are indexed with both kinds (name bigrams come from
//!    jieba's segmentation of the name with its default dictionary),
//!    descriptions with words.
//! 4. **Ranking.** BM25 (k1 = 1.2, b = 0.75) over two fields — name, boosted ×3,
//!    and description — with one IDF per term over the occupation documents,
//!    `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`. A query word weighs 1, an
//!    alias 0.8 and a bigram 0.5. Candidates are ordered by: exact name match first, then
//!    score (descending), then code (ascending), so ties are deterministic.
//!    A title that is, or starts with, a known occupation code returns that
//!    occupation alone.
//!
//! # Confidence
//!
//! A deterministic number in `[0, 1]` saying how sure the matcher is that the
//! candidate is the title's occupation. It combines two parts.
//!
//! * **coverage** — how much of the title the candidate explains. Each unit
//!   `u` of the title weighs `w_u = idf(u)`, or, if `u` occurs in no
//!   occupation, the IDF of a term found in one occupation. The unit earns
//!   credit `c_u ∈ [0, 1]`: 1 if the whole unit is a term of the candidate's
//!   name, otherwise the mean over its characters of the best credit of a
//!   matched term covering that character (1 for a term of the name, ½ for a
//!   term found only in the description, 0 if none; an alias earns 0.8 of
//!   that over the whole word it stands for).
//!   `coverage = Σ w_u · c_u / Σ w_u`.
//! * **decisiveness** — for the top candidate `min(1, 2 · (1 − s₂ / s₁))`,
//!   where `s₁` is its BM25 score and `s₂` the best score of any other
//!   occupation (0 if none): full once the top score is twice the runner-up's.
//!   0 for the other candidates.
//! * `confidence = coverage × (0.5 + 0.5 × decisiveness)` — a perfect but
//!   ambiguous match (two equally good occupations) scores 0.5, and so does a
//!   clear match that explains only half of the title.
//!
//! Overrides, in order:
//!
//! * the title is an occupation code → 1.0;
//! * the title's core (or its text outside brackets with every non-alphanumeric
//!   character removed) equals a normalised occupation name → 1.0, or 0.5 for
//!   each occupation when several share that name;
//! * *near-exact*: the top candidate's name appears in the title as a run of
//!   whole tokens ("汽车装配工学徒", "渝北区汽车装配工"), and no other name of
//!   the same or greater length does → at least `0.8 + 0.15 × name_chars /
//!   core_chars` (so ≥ 0.9 once the name is two thirds of the core);
//! * a candidate's confidence never exceeds the one ranked above it.
//!
//! A title none of whose terms occurs in any occupation yields no candidate.
//! As a rule of thumb, ≥ 0.9 may be accepted automatically, 0.5–0.9 should be
//! confirmed by a person (the candidates and [`Candidate::matched_terms`] are
//! shown), and below 0.5 the title is better treated as unmatched.
//!
//! # Throughput
//!
//! Building over ~1,600 occupations takes a few tens of milliseconds on top of
//! jieba's own dictionary load; matching costs a few microseconds per title.
//! Postings files repeat titles heavily: [`Matcher::match_all`] matches each
//! distinct title once. `cargo run --release -p analytics --example
//! bench_matcher` measures both.

use std::collections::{HashMap, HashSet};

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

/// BM25 term-frequency saturation.
pub const K1: f64 = 1.2;
/// BM25 length normalisation.
pub const B: f64 = 0.75;
/// Weight of the name field relative to the description.
pub const NAME_BOOST: f64 = 3.0;
/// Weight of the description field.
pub const DESCRIPTION_BOOST: f64 = 1.0;

/// Query weight of a word term.
const WORD_WEIGHT: f64 = 1.0;
/// Query weight of a character-bigram term.
const BIGRAM_WEIGHT: f64 = 0.5;
/// Credit of a term found only in the description (a name term earns 1).
const DESCRIPTION_CREDIT: f64 = 0.5;
/// Characters of a title that are read; the rest is ignored.
const MAX_TITLE_CHARS: usize = 256;
/// Relative margin `1 − s₂/s₁` at which the top candidate counts as fully
/// decisive.
const DECISIVE_MARGIN: f64 = 0.5;

/// Weight (in BM25) and credit factor (in coverage) of a term inferred
/// through [`ALIASES`] rather than written in the title.
const ALIAS_FACTOR: f64 = 0.8;

/// Posting words that occupation names never use, each with words of the
/// classification that stand for it. A title unit (or dictionary word inside
/// it) listed here also searches for its targets, at [`ALIAS_FACTOR`] weight;
/// `matched_terms` shows such a match as `java→软件`.
pub const ALIASES: &[(&str, &[&str])] = &[
    ("java", &["软件"]),
    ("python", &["软件"]),
    ("php", &["软件"]),
    ("golang", &["软件"]),
    ("web", &["软件"]),
    ("app", &["软件"]),
    ("android", &["软件"]),
    ("ios", &["软件"]),
    ("前端", &["软件"]),
    ("后端", &["软件"]),
    ("程序员", &["软件"]),
    ("码农", &["软件"]),
    ("运维", &["运行", "维护"]),
    ("网管", &["网络", "管理员"]),
    ("cnc", &["数控"]),
    ("护工", &["护理员"]),
    ("保姆", &["家政"]),
    ("月嫂", &["家政", "母婴"]),
    ("司机", &["驾驶员"]),
    ("厨师", &["烹调师"]),
    ("文员", &["办事员"]),
    ("仓管", &["仓库", "保管员"]),
    ("机修", &["维修"]),
    ("销售", &["营销"]),
];

/// Words common in job postings that say nothing about the occupation. They
/// are removed from titles (never from occupation names or descriptions).
/// 学徒 and 工程师 are deliberately absent: they carry meaning.
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    // hiring
    "招聘", "急招", "急聘", "诚聘", "直招", "高薪", "急需", "大量", "长期", "若干", "多名", "数名",
    "招", "聘", "急", "名", "人", "岗位", "职位",
    // pay and conditions
    "包吃住", "包吃", "包住", "包食宿", "食宿", "双休", "单休", "五险一金", "五险", "一金", "社保",
    "长白班", "白班", "夜班", "倒班", "两班倒", "日结", "周结", "月结", "月薪", "底薪", "年薪",
    "薪资", "工资", "待遇", "优厚", "面议", "提成", "带薪", "元", "以上", "左右", "起",
    // contract and level
    "储备", "实习", "实习生", "兼职", "全职", "正式工", "临时工", "稳定", "熟练", "熟手", "新手",
    "有经验", "无经验", "经验", "不限", "男女不限", "可培训", "师傅", "高级", "中级", "初级", "资深",
    "优秀",
    // function words
    "的", "及", "和", "与", "或", "等",
];

/// One occupation of the classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccupationDoc {
    /// Occupation code, e.g. `6-22-01-01`.
    pub code: String,
    /// Official name, e.g. `汽车装配工`.
    pub name: String,
    /// Short definition (定义 / 主要工作任务).
    pub description: String,
}

/// Why a candidate was proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The title is the occupation's code.
    Code,
    /// The normalised title equals the occupation's name.
    ExactName,
    /// The title contains the occupation's name as whole words.
    ContainsName,
    /// Shared words and characters only.
    Terms,
}

/// One occupation proposed for a title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Occupation code.
    pub code: String,
    /// Occupation name as given to [`Matcher::new`].
    pub name: String,
    /// BM25 score (name ×3 + description); comparable only within one title.
    pub score: f64,
    /// In `[0, 1]`; see the module documentation.
    pub confidence: f64,
    /// Title terms found in this occupation, words first, for the person who
    /// confirms the match.
    pub matched_terms: Vec<String>,
    /// How the candidate was found.
    pub kind: MatchKind,
}

impl Candidate {
    /// A one-line explanation in Chinese for the person who confirms.
    pub fn reason(&self) -> String {
        let percent = (self.confidence * 100.0).round();
        match self.kind {
            MatchKind::Code => format!("职业编码 {} 直接对应「{}」", self.code, self.name),
            MatchKind::ExactName => format!(
                "岗位名称与职业名称「{}」一致（置信度 {percent}%）",
                self.name
            ),
            MatchKind::ContainsName => {
                format!("岗位名称包含职业名称「{}」（置信度 {percent}%）", self.name)
            }
            MatchKind::Terms => format!(
                "匹配词：{}（置信度 {percent}%）",
                self.matched_terms.join("、")
            ),
        }
    }
}

/// One posting: a document containing a term, with its precomputed BM25
/// contribution (IDF included, field boosts applied).
#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    contribution: f64,
    in_name: bool,
}

#[derive(Debug)]
struct DocEntry {
    code: String,
    name: String,
}

/// Ranks occupations for free-text job titles. Build once with
/// [`Matcher::new`], reuse for many titles.
pub struct Matcher {
    jieba: Jieba,
    docs: Vec<DocEntry>,
    /// Word term → term id.
    words: HashMap<String, u32>,
    /// Bigram (two chars packed into a u64) → term id.
    bigrams: HashMap<u64, u32>,
    /// By term id, sorted by document.
    postings: Vec<Vec<Posting>>,
    /// By term id.
    idf: Vec<f64>,
    /// Weight of a title unit found in no occupation (the IDF of df = 1).
    unseen_idf: f64,
    /// Normalised name → documents, sorted by code.
    names: HashMap<String, Vec<u32>>,
    /// Code → first document with it.
    codes: HashMap<String, u32>,
    /// By document: its position when documents are sorted by code, for
    /// cheap tie-breaking.
    code_rank: Vec<u32>,
    stop_words: HashSet<&'static str>,
    aliases: HashMap<&'static str, &'static [&'static str]>,
    /// Normalised name → its units under the default dictionary, with their
    /// character offsets.
    name_units: HashMap<String, Vec<(String, usize)>>,
    /// Longest normalised name, in chars.
    max_name_chars: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("occupations", &self.docs.len())
            .field("terms", &self.idf.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TermKind {
    Word,
    Bigram,
}

/// A distinct term of a title.
#[derive(Debug)]
struct QueryTerm {
    text: String,
    kind: TermKind,
    /// Term id, if the term occurs in some occupation.
    id: Option<u32>,
    /// Query weight in the BM25 sum.
    weight: f64,
    /// The title word this term was inferred from through [`ALIASES`].
    via: Option<String>,
}

/// A term drawn from a unit, with the characters of the unit it stands for.
#[derive(Debug, Clone, Copy)]
struct Part {
    term: usize,
    start: usize,
    end: usize,
    /// Factor on the coverage credit (below 1 for aliases).
    credit: f64,
}

/// A unit of a title (see the module documentation) and the terms drawn
/// from it.
#[derive(Debug)]
struct Unit {
    weight: f64,
    chars: usize,
    /// Index in [`Analysis::terms`] of the unit itself as a word.
    whole: usize,
    /// Terms drawn from the unit.
    parts: Vec<Part>,
}

/// What the matcher reads from one title.
#[derive(Debug, Default)]
struct Analysis {
    /// Kept tokens of all segments, in order.
    kept: Vec<String>,
    /// Concatenation of `kept`.
    core: String,
    /// Text outside brackets with non-alphanumerics removed, stop words kept.
    plain: String,
    /// Distinct terms, in order of appearance.
    terms: Vec<QueryTerm>,
    units: Vec<Unit>,
}

impl Analysis {
    /// Index of the term, added if new; a literal occurrence overrides an
    /// alias and the larger weight is kept.
    fn term(
        &mut self,
        text: &str,
        kind: TermKind,
        id: Option<u32>,
        weight: f64,
        via: Option<&str>,
    ) -> usize {
        if let Some(i) = self
            .terms
            .iter()
            .position(|t| t.kind == kind && t.text == text)
        {
            let term = &mut self.terms[i];
            term.weight = term.weight.max(weight);
            if via.is_none() {
                term.via = None;
            }
            return i;
        }
        self.terms.push(QueryTerm {
            text: text.to_string(),
            kind,
            id,
            weight,
            via: via.map(str::to_string),
        });
        self.terms.len() - 1
    }
}

/// Internal ranking of one title.
struct Ranked {
    /// Documents, best first.
    order: Vec<u32>,
    score: Vec<f64>,
    exact: Vec<u32>,
    contained: Vec<u32>,
    /// The single longest name found as whole tokens, with its length in chars.
    near_exact: Option<(u32, usize)>,
}

impl Matcher {
    /// Builds the index. Loads jieba's default dictionary (the costly part,
    /// ~0.1 s in release) and adds every occupation name to it.
    pub fn new(docs: &[OccupationDoc]) -> Matcher {
        let mut jieba = Jieba::new();
        let name_keys: Vec<String> = docs.iter().map(|d| normalize_name(&d.name)).collect();
        // Name bigrams follow the default dictionary's segmentation, taken
        // before the names themselves become dictionary words.
        let base_units: Vec<Vec<(String, usize)>> = name_keys
            .iter()
            .map(|key| {
                let tokens: Vec<Option<&str>> =
                    jieba.cut(key, false).iter().map(|t| Some(t.word)).collect();
                group_units(&tokens)
            })
            .collect();
        let stop_words: HashSet<&'static str> = STOP_WORDS.iter().copied().collect();
        for word in STOP_WORDS
            .iter()
            .copied()
            .chain(name_keys.iter().map(String::as_str))
        {
            if word.chars().count() > 1 && !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }

        let mut matcher = Matcher {
            jieba,
            docs: Vec::with_capacity(docs.len()),
            words: HashMap::new(),
            bigrams: HashMap::new(),
            postings: Vec::new(),
            idf: Vec::new(),
            unseen_idf: 0.0,
            names: HashMap::new(),
            codes: HashMap::new(),
            code_rank: Vec::new(),
            stop_words,
            aliases: ALIASES.iter().copied().collect(),
            name_units: HashMap::new(),
            max_name_chars: 0,
        };

        // Term frequencies per document and field.
        let mut name_tf: Vec<Vec<(u32, u32)>> = Vec::with_capacity(docs.len());
        let mut desc_tf: Vec<Vec<(u32, u32)>> = Vec::with_capacity(docs.len());
        let mut words: Vec<String> = Vec::new();
        for (i, ((doc, key), units)) in docs.iter().zip(&name_keys).zip(&base_units).enumerate() {
            let i = i as u32;
            let code = doc.code.trim().to_string();
            matcher.codes.entry(code.clone()).or_insert(i);
            matcher.docs.push(DocEntry {
                code,
                name: doc.name.clone(),
            });
            if !key.is_empty() {
                matcher.names.entry(key.clone()).or_default().push(i);
                matcher
                    .name_units
                    .entry(key.clone())
                    .or_insert_with(|| units.clone());
            }
            matcher.max_name_chars = matcher.max_name_chars.max(key.chars().count());

            // Name: the whole name, and the words and bigrams of its units
            // under the default dictionary; each counted once.
            words.clear();
            if is_word_term(key) {
                words.push(key.clone());
            }
            for (unit, _) in units {
                matcher.word_terms(unit, |w, _, _| push_distinct(&mut words, w));
            }
            let mut terms: Vec<u32> = words.iter().map(|w| matcher.word_id(w)).collect();
            for (unit, _) in units {
                for (a, b) in cjk_bigrams(unit) {
                    terms.push(matcher.bigram_id(a, b));
                }
            }
            terms.sort_unstable();
            terms.dedup();
            name_tf.push(terms.into_iter().map(|t| (t, 1)).collect());

            let mut terms = Vec::new();
            for segment in split_alnum(&doc.description) {
                words.clear();
                for token in matcher.jieba.cut(&segment, false) {
                    matcher.word_terms(token.word, |w, _, _| words.push(w.to_string()));
                }
                for w in &words {
                    terms.push(matcher.word_id(w));
                }
            }
            desc_tf.push(count_terms(terms));
        }
        let mut by_code: Vec<u32> = (0..docs.len() as u32).collect();
        by_code.sort_by(|&a, &b| {
            matcher.docs[a as usize]
                .code
                .cmp(&matcher.docs[b as usize].code)
        });
        matcher.code_rank = vec![0; docs.len()];
        for (rank, &doc) in by_code.iter().enumerate() {
            matcher.code_rank[doc as usize] = rank as u32;
        }
        for list in matcher.names.values_mut() {
            list.sort_by_key(|&d| matcher.code_rank[d as usize]);
        }

        let n_terms = matcher.words.len() + matcher.bigrams.len();
        let n = docs.len() as f64;
        let mut df = vec![0u32; n_terms];
        let mut seen = Vec::new();
        for (name, desc) in name_tf.iter().zip(&desc_tf) {
            seen.clear();
            seen.extend(name.iter().chain(desc).map(|&(t, _)| t));
            seen.sort_unstable();
            seen.dedup();
            for &t in &seen {
                df[t as usize] += 1;
            }
        }
        let idf_of = |df: f64| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        matcher.idf = df.iter().map(|&d| idf_of(f64::from(d))).collect();
        matcher.unseen_idf = idf_of(n.min(1.0));

        let field_len = |tf: &[(u32, u32)]| tf.iter().map(|&(_, c)| f64::from(c)).sum::<f64>();
        let average = |all: &[Vec<(u32, u32)>]| {
            let total: f64 = all.iter().map(|tf| field_len(tf)).sum();
            if total == 0.0 {
                1.0
            } else {
                total / all.len() as f64
            }
        };
        let (avg_name, avg_desc) = (average(&name_tf), average(&desc_tf));
        let saturate = |tf: u32, len: f64, avg: f64| {
            let tf = f64::from(tf);
            tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg))
        };

        matcher.postings = vec![Vec::new(); n_terms];
        let mut parts: Vec<(u32, f64, bool)> = Vec::new();
        for (doc, (name, desc)) in name_tf.iter().zip(&desc_tf).enumerate() {
            let (name_len, desc_len) = (field_len(name), field_len(desc));
            parts.clear();
            for &(t, c) in name {
                parts.push((t, NAME_BOOST * saturate(c, name_len, avg_name), true));
            }
            for &(t, c) in desc {
                parts.push((
                    t,
                    DESCRIPTION_BOOST * saturate(c, desc_len, avg_desc),
                    false,
                ));
            }
            parts.sort_by_key(|&(t, _, _)| t);
            for group in parts.chunk_by(|x, y| x.0 == y.0) {
                let t = group[0].0 as usize;
                matcher.postings[t].push(Posting {
                    doc: doc as u32,
                    contribution: matcher.idf[t] * group.iter().map(|p| p.1).sum::<f64>(),
                    in_name: group.iter().any(|p| p.2),
                });
            }
        }
        matcher
    }

    /// Number of occupations indexed.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether no occupation is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The title's normalised core: brackets, separators, digits and posting
    /// stop words removed, Latin lower-cased. Titles with the same core match
    /// the same way (except for the code and bracket-only cases), so it is a
    /// good key for a caller's cache.
    pub fn normalize_title(&self, title: &str) -> String {
        self.analyse(title).core
    }

    /// Up to `k` candidates for `title`, best first. Empty when no term of the
    /// title occurs in any occupation.
    pub fn best(&self, title: &str, k: usize) -> Vec<Candidate> {
        if k == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        if let Some(doc) = self.code_in(title) {
            return vec![self.candidate(doc, 0.0, 1.0, Vec::new(), MatchKind::Code)];
        }
        let analysis = self.analyse(title);
        let ranked = self.rank(&analysis, k.max(2));
        let mut out = Vec::with_capacity(k.min(ranked.order.len()));
        let mut ceiling = 1.0_f64;
        for (i, &doc) in ranked.order.iter().take(k).enumerate() {
            let d = doc as usize;
            let found = self.found(&analysis, doc);
            let kind = if ranked.exact.contains(&doc) {
                MatchKind::ExactName
            } else if ranked.contained.contains(&doc) {
                MatchKind::ContainsName
            } else {
                MatchKind::Terms
            };
            let confidence = if kind == MatchKind::ExactName {
                if ranked.exact.len() == 1 { 1.0 } else { 0.5 }
            } else {
                let decisiveness = if i == 0 {
                    let s1 = ranked.score[d];
                    let s2 = ranked
                        .order
                        .get(1)
                        .map_or(0.0, |&o| ranked.score[o as usize]);
                    if s1 > 0.0 {
                        ((1.0 - s2 / s1) / DECISIVE_MARGIN).clamp(0.0, 1.0)
                    } else {
                        0.0
                    }
                } else {
                    0.0
                };
                let mut c = coverage(&analysis, &found) * (0.5 + 0.5 * decisiveness);
                if i == 0
                    && let Some((near, name_chars)) = ranked.near_exact
                    && near == doc
                {
                    let core_chars = analysis.core.chars().count().max(1);
                    let ratio = (name_chars as f64 / core_chars as f64).min(1.0);
                    c = c.max(0.8 + 0.15 * ratio);
                }
                c
            };
            let confidence = if confidence.is_finite() {
                confidence.clamp(0.0, ceiling)
            } else {
                0.0
            };
            ceiling = confidence;
            let terms = matched_terms(&analysis, &found);
            out.push(self.candidate(doc, ranked.score[d], confidence, terms, kind));
        }
        out
    }

    /// The top candidate for `title`, if any term of it matches.
    pub fn match_title(&self, title: &str) -> Option<Candidate> {
        self.best(title, 1).into_iter().next()
    }

    /// [`Matcher::match_title`] for many titles, each distinct title matched
    /// once; results are in input order.
    pub fn match_all<'a, I>(&self, titles: I) -> Vec<Option<Candidate>>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut seen: HashMap<&'a str, Option<Candidate>> = HashMap::new();
        titles
            .into_iter()
            .map(|t| seen.entry(t).or_insert_with(|| self.match_title(t)).clone())
            .collect()
    }

    fn candidate(
        &self,
        doc: u32,
        score: f64,
        confidence: f64,
        matched_terms: Vec<String>,
        kind: MatchKind,
    ) -> Candidate {
        let entry = &self.docs[doc as usize];
        Candidate {
            code: entry.code.clone(),
            name: entry.name.clone(),
            score,
            confidence,
            matched_terms,
            kind,
        }
    }

    /// A known code written as the title or as its first word.
    fn code_in(&self, title: &str) -> Option<u32> {
        let first = title.split_whitespace().next()?;
        if !first.starts_with(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c)) {
            return None;
        }
        let code: String = first.chars().map(half_width).collect();
        self.codes.get(&code).copied()
    }

    fn word_id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.words.get(word) {
            return id;
        }
        let id = (self.words.len() + self.bigrams.len()) as u32;
        self.words.insert(word.to_string(), id);
        id
    }

    fn bigram_id(&mut self, a: char, b: char) -> u32 {
        let next = (self.words.len() + self.bigrams.len()) as u32;
        *self.bigrams.entry(pack(a, b)).or_insert(next)
    }

    /// Calls `f(word, first_char, end_char)` for the token itself, if it can
    /// be a word term, and then for its 2- and 3-character substrings that are
    /// dictionary words (jieba's search mode).
    fn word_terms(&self, token: &str, mut f: impl FnMut(&str, usize, usize)) {
        if !is_word_term(token) {
            return;
        }
        let chars: Vec<(usize, char)> = token.char_indices().collect();
        f(token, 0, chars.len());
        if chars.len() <= 2 || !chars.iter().all(|&(_, c)| is_cjk(c)) {
            return;
        }
        let byte_end = |i: usize| chars.get(i).map_or(token.len(), |&(b, _)| b);
        for width in [2, 3] {
            if chars.len() <= width {
                break;
            }
            for start in 0..=chars.len() - width {
                let sub = &token[chars[start].0..byte_end(start + width)];
                if !self.stop_words.contains(sub) && self.jieba.has_word(sub) {
                    f(sub, start, start + width);
                }
            }
        }
    }

    fn analyse(&self, title: &str) -> Analysis {
        let (main, bracketed) = split_title(title);
        let mut analysis = Analysis {
            plain: main.concat(),
            ..Analysis::default()
        };
        let mut units = Vec::new();
        for segments in [&main, &bracketed] {
            for segment in segments {
                let tokens: Vec<Option<&str>> = self
                    .jieba
                    .cut(segment, false)
                    .iter()
                    .map(|t| {
                        let dropped = t.word.chars().all(char::is_numeric)
                            || self.stop_words.contains(t.word);
                        (!dropped).then_some(t.word)
                    })
                    .collect();
                for word in tokens.iter().flatten() {
                    analysis.kept.push(word.to_string());
                    analysis.core.push_str(word);
                }
                units.extend(group_units(&tokens).into_iter().map(|(unit, _)| unit));
            }
            if !analysis.kept.is_empty() {
                break;
            }
        }
        for unit in &units {
            self.push_unit(&mut analysis, unit);
        }
        analysis
    }

    fn push_unit(&self, analysis: &mut Analysis, unit: &str) {
        if !is_word_term(unit) {
            return;
        }
        let chars = unit.chars().count();
        let id = self.words.get(unit).copied();
        let whole = analysis.term(unit, TermKind::Word, id, WORD_WEIGHT, None);
        let mut parts = vec![Part {
            term: whole,
            start: 0,
            end: chars,
            credit: 1.0,
        }];
        // A unit that is an occupation name is split the way the name was
        // indexed, so that "汽车工程技术人员" does not yield "车工".
        match self.name_units.get(unit) {
            Some(base) => {
                for (text, offset) in base {
                    self.unit_parts(analysis, text, *offset, &mut parts);
                }
            }
            None => self.unit_parts(analysis, unit, 0, &mut parts),
        }
        let words: Vec<Part> = parts
            .iter()
            .filter(|p| {
                analysis.terms[p.term].kind == TermKind::Word
                    && analysis.terms[p.term].via.is_none()
            })
            .copied()
            .collect();
        for part in words {
            let source = analysis.terms[part.term].text.clone();
            for target in self
                .aliases
                .get(source.as_str())
                .copied()
                .unwrap_or_default()
            {
                let id = self.words.get(*target).copied();
                let term = analysis.term(
                    target,
                    TermKind::Word,
                    id,
                    WORD_WEIGHT * ALIAS_FACTOR,
                    Some(&source),
                );
                parts.push(Part {
                    credit: ALIAS_FACTOR,
                    term,
                    ..part
                });
            }
        }
        let weight = id.map_or(self.unseen_idf, |id| self.idf[id as usize]);
        analysis.units.push(Unit {
            weight,
            chars,
            whole,
            parts,
        });
    }

    /// Word terms and bigrams of `text`, which starts `offset` characters
    /// into its unit.
    fn unit_parts(
        &self,
        analysis: &mut Analysis,
        text: &str,
        offset: usize,
        parts: &mut Vec<Part>,
    ) {
        self.word_terms(text, |w, start, end| {
            let id = self.words.get(w).copied();
            parts.push(Part {
                term: analysis.term(w, TermKind::Word, id, WORD_WEIGHT, None),
                start: offset + start,
                end: offset + end,
                credit: 1.0,
            });
        });
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        for (i, pair) in chars.windows(2).enumerate() {
            let ((start, x), (_, y)) = (pair[0], pair[1]);
            if is_cjk(x) && is_cjk(y) {
                let bigram = &text[start..start + x.len_utf8() + y.len_utf8()];
                let id = self.bigrams.get(&pack(x, y)).copied();
                parts.push(Part {
                    term: analysis.term(bigram, TermKind::Bigram, id, BIGRAM_WEIGHT, None),
                    start: offset + i,
                    end: offset + i + 2,
                    credit: 1.0,
                });
            }
        }
    }

    /// Scores every occupation and keeps the best `limit`, exact names first.
    fn rank(&self, analysis: &Analysis, limit: usize) -> Ranked {
        let mut score = vec![0.0; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        for term in &analysis.terms {
            let Some(id) = term.id else { continue };
            let weight = term.weight;
            for p in &self.postings[id as usize] {
                let d = p.doc as usize;
                if score[d] == 0.0 {
                    touched.push(p.doc);
                }
                score[d] += weight * p.contribution;
            }
        }

        let mut exact: Vec<u32> = Vec::new();
        for key in [&analysis.core, &analysis.plain] {
            for &d in self.names.get(key.as_str()).into_iter().flatten() {
                if !exact.contains(&d) {
                    exact.push(d);
                }
            }
        }

        // Names found as runs of whole tokens (short of the whole core).
        let kept = &analysis.kept;
        let mut contained: Vec<u32> = Vec::new();
        let mut longest: Option<(usize, Vec<u32>)> = None;
        let mut buf = String::new();
        for i in 0..kept.len() {
            buf.clear();
            let mut chars = 0;
            for j in i..kept.len() {
                buf.push_str(&kept[j]);
                chars += kept[j].chars().count();
                if chars > self.max_name_chars {
                    break;
                }
                if i == 0 && j + 1 == kept.len() {
                    continue;
                }
                let Some(docs) = self.names.get(buf.as_str()) else {
                    continue;
                };
                contained.extend(docs.iter().filter(|d| !exact.contains(d)));
                match &mut longest {
                    Some((len, ds)) if *len == chars => ds.extend(docs),
                    Some((len, _)) if *len > chars => {}
                    _ => longest = Some((chars, docs.clone())),
                }
            }
        }
        let near_exact = longest.and_then(|(chars, mut ds)| {
            ds.sort_unstable();
            ds.dedup();
            (ds.len() == 1).then(|| (ds[0], chars))
        });

        let by_score = |x: &u32, y: &u32| {
            score[*y as usize]
                .total_cmp(&score[*x as usize])
                .then_with(|| self.code_rank[*x as usize].cmp(&self.code_rank[*y as usize]))
        };
        // The best `limit` others, kept sorted while scanning.
        let mut rest: Vec<u32> = Vec::with_capacity(limit + 1);
        for d in touched {
            let beaten =
                rest.len() == limit && rest.last().is_some_and(|last| by_score(&d, last).is_ge());
            if beaten || exact.contains(&d) {
                continue;
            }
            let at = rest.partition_point(|x| by_score(x, &d).is_lt());
            rest.insert(at, d);
            rest.truncate(limit);
        }
        let mut order = exact.clone();
        order.sort_unstable_by(by_score);
        order.extend(rest);
        order.truncate(limit);
        Ranked {
            order,
            score,
            exact,
            contained,
            near_exact,
        }
    }

    /// For each term of the title, whether `doc` has it: `Some(true)` in its
    /// name, `Some(false)` only in its description.
    fn found(&self, analysis: &Analysis, doc: u32) -> Vec<Option<bool>> {
        analysis
            .terms
            .iter()
            .map(|t| {
                let postings = &self.postings[t.id? as usize];
                let i = postings.binary_search_by_key(&doc, |p| p.doc).ok()?;
                Some(postings[i].in_name)
            })
            .collect()
    }
}

/// Share of the title's weight that a document explains (module docs).
fn coverage(analysis: &Analysis, found: &[Option<bool>]) -> f64 {
    let credit = |term: usize| match found[term] {
        Some(true) => 1.0,
        Some(false) => DESCRIPTION_CREDIT,
        None => 0.0,
    };
    let (mut total, mut earned) = (0.0, 0.0);
    let mut chars: Vec<f64> = Vec::new();
    for unit in &analysis.units {
        total += unit.weight;
        if credit(unit.whole) == 1.0 {
            earned += unit.weight;
            continue;
        }
        chars.clear();
        chars.resize(unit.chars, 0.0);
        for part in &unit.parts {
            let c = credit(part.term) * part.credit;
            for x in &mut chars[part.start..part.end] {
                *x = x.max(c);
            }
        }
        earned += unit.weight * chars.iter().sum::<f64>() / unit.chars.max(1) as f64;
    }
    if total > 0.0 {
        (earned / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The title's terms that a document has: words, then bigrams not inside a
/// listed word.
fn matched_terms(analysis: &Analysis, found: &[Option<bool>]) -> Vec<String> {
    let has = |kind: TermKind| {
        analysis
            .terms
            .iter()
            .zip(found)
            .filter(move |(t, f)| t.kind == kind && f.is_some())
            .map(|(t, _)| t)
    };
    let mut out: Vec<String> = has(TermKind::Word)
        .map(|t| match &t.via {
            Some(source) => format!("{source}→{}", t.text),
            None => t.text.clone(),
        })
        .collect();
    for bigram in has(TermKind::Bigram) {
        if !out.iter().any(|w| w.contains(&bigram.text)) {
            out.push(bigram.text.clone());
        }
    }
    out
}

/// Groups tokens into units: each token of two or more characters that can
/// be a word term, and each run of single CJK characters (of two or more),
/// with the character offset of each unit among the kept tokens. `None` marks
/// a dropped token, which ends a run.
fn group_units(tokens: &[Option<&str>]) -> Vec<(String, usize)> {
    let mut units = Vec::new();
    let mut run = String::new();
    let mut offset = 0;
    let flush = |run: &mut String, end: usize, units: &mut Vec<(String, usize)>| {
        let chars = run.chars().count();
        if chars > 1 {
            units.push((std::mem::take(run), end - chars));
        }
        run.clear();
    };
    for token in tokens {
        match token {
            Some(t) if is_single_cjk(t) => run.push_str(t),
            Some(t) => {
                flush(&mut run, offset, &mut units);
                if is_word_term(t) {
                    units.push((t.to_string(), offset));
                }
            }
            None => flush(&mut run, offset, &mut units),
        }
        offset += token.map_or(0, |t| t.chars().count());
    }
    flush(&mut run, offset, &mut units);
    units
}

fn pack(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

fn push_distinct(out: &mut Vec<String>, s: &str) {
    if !out.iter().any(|w| w == s) {
        out.push(s.to_string());
    }
}

fn count_terms(mut terms: Vec<u32>) -> Vec<(u32, u32)> {
    terms.sort_unstable();
    terms
        .chunk_by(|a, b| a == b)
        .map(|g| (g[0], g.len() as u32))
        .collect()
}

/// Whether a token can be a word term: two characters or more, at least one
/// of them a letter (CJK or Latin).
fn is_word_term(token: &str) -> bool {
    token.chars().nth(1).is_some() && token.chars().any(char::is_alphabetic)
}

fn is_single_cjk(token: &str) -> bool {
    let mut chars = token.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if is_cjk(c))
}

/// Full-width ASCII and the ideographic space to their half-width forms.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FFFF}')
}

fn is_open(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '<' | '【' | '〔' | '〖' | '「' | '『')
}

fn is_close(c: char) -> bool {
    matches!(c, ')' | ']' | '}' | '>' | '】' | '〕' | '〗' | '」' | '』')
}

/// Appends `c`, half-width and lower-cased.
fn push_normalised(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if c.is_alphabetic() && !is_cjk(c) {
        out.extend(c.to_lowercase());
    } else {
        out.push(c);
    }
}

/// Splits a title into segments outside brackets and segments inside them.
fn split_title(title: &str) -> (Vec<String>, Vec<String>) {
    let (mut main, mut bracketed) = (Vec::new(), Vec::new());
    let mut depth = 0usize;
    let mut current = String::new();
    let flush =
        |current: &mut String, depth: usize, main: &mut Vec<String>, br: &mut Vec<String>| {
            if !current.is_empty() {
                let segment = std::mem::take(current);
                if depth == 0 {
                    main.push(segment)
                } else {
                    br.push(segment)
                }
            }
        };
    for raw in title.chars().take(MAX_TITLE_CHARS) {
        let c = half_width(raw);
        if is_open(c) {
            flush(&mut current, depth, &mut main, &mut bracketed);
            depth = depth.saturating_add(1);
        } else if is_close(c) {
            flush(&mut current, depth, &mut main, &mut bracketed);
            depth = depth.saturating_sub(1);
        } else if c.is_alphanumeric() {
            push_normalised(&mut current, c);
        } else {
            flush(&mut current, depth, &mut main, &mut bracketed);
        }
    }
    flush(&mut current, depth, &mut main, &mut bracketed);
    (main, bracketed)
}

/// Normalised letters and digits of a text, split at everything else.
fn split_alnum(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for raw in text.chars() {
        let c = half_width(raw);
        if c.is_alphanumeric() {
            push_normalised(&mut current, c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// An occupation name as compared with titles: half-width, lower-case,
/// letters and digits only (bracket contents kept).
fn normalize_name(name: &str) -> String {
    split_alnum(name).concat()
}

/// Adjacent CJK character pairs of a text.
fn cjk_bigrams(text: &str) -> impl Iterator<Item = (char, char)> + '_ {
    text.chars()
        .zip(text.chars().skip(1))
        .filter(|&(a, b)| is_cjk(a) && is_cjk(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// `code name description` per line.
    const FIXTURE: &str = "
2-02-07-01 汽车工程技术人员 从事汽车整车及零部件设计、试验、制造工艺研究与开发的工程技术人员。
2-02-10-02 软件研发工程技术人员 从事计算机软件需求分析、设计、编码、开发、测试和维护的工程技术人员。
2-02-10-07 信息安全工程技术人员 从事信息系统安全防护、风险评估、安全测评与应急响应的工程技术人员。
2-02-10-09 人工智能工程技术人员 从事人工智能算法、模型研究与应用系统开发的工程技术人员。
2-05-08-01 内科护士 从事内科病人护理、病情观察与健康教育的专业护理人员。
2-09-01-01 中等职业学校教师 在中等职业学校从事专业课和文化课教学的教师。
3-01-02-01 行政办事员 在机关、企事业单位从事文书、档案、接待等行政事务的人员。
4-01-02-01 营销员 从事产品推广、客户开发与销售服务的人员。
4-02-02-01 道路客运汽车驾驶员 驾驶营运客车运送旅客的人员。
4-02-06-03 快递员 从事快件收寄、分拣、派送的人员。
4-03-02-01 中式烹调师 运用煎、炒、烹、炸等技法制作中式菜肴的人员。
4-04-05-01 信息通信网络运行管理员 从事信息通信网络运行监测、维护与故障处理的人员。
4-07-03-01 家政服务员 在家庭从事做饭、保洁、照料老人和婴幼儿等服务的人员。
4-10-01-05 养老护理员 在养老机构或居家环境中对老年人进行生活照料和护理的服务人员。
4-14-01-01 保育师 在托育机构和幼儿园从事婴幼儿保育、照料工作的人员。
4-14-01-02 医疗护理员 在医疗机构协助护士对患者进行生活照护和辅助护理的人员。
6-01-02-01 粮油仓储管理员 从事粮油入库、储存、出库和保管的人员。
6-18-01-01 车工 操作车床（含数控车床），对工件旋转表面进行切削加工的人员。
6-18-01-02 铣工 操作铣床（含数控铣床），对工件进行铣削加工的人员。
6-18-01-05 磨工 操作磨床，对工件表面进行磨削加工的人员。
6-18-02-04 焊工 操作焊接设备，对金属工件进行焊接的人员。
6-20-01-01 装配钳工 使用钳工工具和设备，进行机械设备零部件装配、调整的人员。
6-20-03-01 电工 从事电气设备安装、调试、维护和检修的人员。
6-22-01-01 汽车装配工 使用工具和设备，进行汽车零部件、总成和整车装配与调试的人员。
6-22-01-03 汽车零部件再制造工 对废旧汽车零部件进行拆解、清洗、修复和再制造的人员。
6-25-04-01 电子设备装接工 使用工具和设备，进行电子元器件插装、焊接和电子设备装配连接的人员。
6-25-04-02 电子产品制版工 操作制版设备，制作印制电路板图形的人员。
6-28-01-01 化工总控工 操作总控室仪表和计算机控制系统，监控化工生产过程的人员。
6-29-02-01 砌筑工 使用砖、石、砌块等材料砌筑墙体的人员。
6-31-01-02 机床装调维修工 从事数控机床等设备的装配、调试与维修的人员。
7-01-01-01 工业机器人系统操作员 操作工业机器人系统进行编程、调试和生产作业的人员。
";

    fn fixture() -> Vec<OccupationDoc> {
        FIXTURE
            .lines()
            .filter_map(|line| {
                let mut fields = line.splitn(3, ' ');
                Some(OccupationDoc {
                    code: fields.next()?.into(),
                    name: fields.next()?.into(),
                    description: fields.next()?.into(),
                })
            })
            .collect()
    }

    fn matcher() -> &'static Matcher {
        static M: OnceLock<Matcher> = OnceLock::new();
        M.get_or_init(|| Matcher::new(&fixture()))
    }

    fn top(title: &str) -> Candidate {
        matcher()
            .match_title(title)
            .unwrap_or_else(|| panic!("no candidate for {title}"))
    }

    #[test]
    fn matcher_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Matcher>();
    }

    #[test]
    fn exact_names_rank_first_with_full_confidence() {
        let docs = fixture();
        assert_eq!(docs.len(), 31);
        for OccupationDoc { code, name, .. } in &docs {
            let best = matcher().best(name, 3);
            assert_eq!(best[0].code, *code, "{name}: {best:?}");
            assert_eq!(best[0].kind, MatchKind::ExactName, "{name}");
            assert!(best[0].confidence >= 0.9, "{name}: {}", best[0].confidence);
            for other in &best[1..] {
                assert!(other.confidence < best[0].confidence, "{name}: {best:?}");
            }
        }
    }

    #[test]
    fn exact_names_survive_noise_around_them() {
        for title in [
            "汽车装配工（急招）",
            "【急招】汽车装配工",
            "急招汽车装配工 包吃住",
            "汽车装配工(双休,五险一金)",
            "ＡＢ汽车装配工", // full-width Latin prefix is not the name
        ] {
            let c = top(title);
            assert_eq!(c.code, "6-22-01-01", "{title}: {c:?}");
            if !title.starts_with('Ａ') {
                assert_eq!(c.kind, MatchKind::ExactName, "{title}");
                assert!(c.confidence >= 0.9, "{title}: {c:?}");
            }
        }
        let c = top("【汽车装配工】");
        assert_eq!(
            (c.code.as_str(), c.kind),
            ("6-22-01-01", MatchKind::ExactName)
        );
    }

    #[test]
    fn noisy_titles_map_to_the_right_code() {
        for (title, code) in [
            ("急招汽车装配工 包吃住", "6-22-01-01"),
            ("Java开发工程师", "2-02-10-02"),
            ("JAVA软件开发工程师（五险一金）", "2-02-10-02"),
            ("养老院护理员（双休）", "4-10-01-05"),
            ("数控车床操作工", "6-18-01-01"),
            ("汽车装配工学徒", "6-22-01-01"),
            ("渝北区汽车装配工", "6-22-01-01"),
            ("电子厂装接工", "6-25-04-01"),
            ("高级育婴保育员", "4-14-01-01"),
            ("住家保姆/家政服务员", "4-07-03-01"),
            ("工业机器人操作员", "7-01-01-01"),
            ("网络运维管理员", "4-04-05-01"),
            ("电焊工", "6-18-02-04"),
            ("快递派送员", "4-02-06-03"),
        ] {
            let c = top(title);
            assert_eq!(c.code, code, "{title}: {c:?}");
            assert!(!c.matched_terms.is_empty(), "{title}");
        }
    }

    #[test]
    fn near_exact_titles_are_confident() {
        for (title, code) in [
            ("汽车装配工学徒", "6-22-01-01"),
            ("养老护理员/护工", "4-10-01-05"),
        ] {
            let c = top(title);
            assert_eq!(c.code, code, "{title}: {c:?}");
            assert_eq!(c.kind, MatchKind::ContainsName, "{title}");
            assert!(c.confidence >= 0.9, "{title}: {c:?}");
        }
    }

    #[test]
    fn ambiguous_titles_are_less_confident() {
        // Both 养老护理员 and 医疗护理员 fit.
        let c = top("护理员");
        assert!(
            ["4-10-01-05", "4-14-01-02"].contains(&c.code.as_str()),
            "{c:?}"
        );
        assert!(c.confidence < 0.8, "{c:?}");
        // Two names, neither preferred.
        let c = top("车工/铣工");
        assert!(c.confidence <= 0.6, "{c:?}");
    }

    #[test]
    fn nonsense_titles_yield_nothing_or_low_confidence() {
        for title in [
            "asdfgh",
            "快来",
            "",
            "   ",
            "（急招）",
            "123456",
            "!!!",
            "高薪诚聘 包吃住",
            "普工",
        ] {
            let best = matcher().best(title, 5);
            assert!(
                best.first().is_none_or(|c| c.confidence < 0.5),
                "{title}: {best:?}"
            );
        }
        assert!(matcher().match_title("asdfgh").is_none());
        assert!(matcher().match_title("快来").is_none());
    }

    #[test]
    fn codes_are_recognised() {
        let c = top("4-04-05-01");
        assert_eq!(
            (c.name.as_str(), c.kind, c.confidence),
            ("信息通信网络运行管理员", MatchKind::Code, 1.0)
        );
        let c = top("６-２２-０１-０１ 汽车装配");
        assert_eq!(c.code, "6-22-01-01");
        // An unknown code is not a match by itself.
        assert!(matcher().match_title("9-99-99-99").is_none());
    }

    #[test]
    fn ordering_is_deterministic_and_ties_break_by_code() {
        let docs: Vec<OccupationDoc> = ["3-01-00-02", "3-01-00-01", "3-01-00-03"]
            .iter()
            .map(|&code| OccupationDoc {
                code: code.into(),
                name: "仓库保管员".into(),
                description: "从事仓库物资保管的人员。".into(),
            })
            .collect();
        let m = Matcher::new(&docs);
        for title in ["仓库保管员", "仓库管理员"] {
            let best = m.best(title, 10);
            let codes: Vec<&str> = best.iter().map(|c| c.code.as_str()).collect();
            assert_eq!(codes, ["3-01-00-01", "3-01-00-02", "3-01-00-03"], "{title}");
            assert!(
                best.iter().all(|c| c.confidence <= 0.5),
                "{title}: {best:?}"
            );
        }
        let once = matcher().best("汽车零部件装配", 10);
        for _ in 0..3 {
            assert_eq!(matcher().best("汽车零部件装配", 10), once);
        }
        for pair in once.windows(2) {
            assert!(
                pair[0].score > pair[1].score
                    || (pair[0].score == pair[1].score && pair[0].code < pair[1].code),
                "{once:?}"
            );
            assert!(pair[0].confidence >= pair[1].confidence);
        }
    }

    #[test]
    fn matched_terms_explain_the_match() {
        let c = top("养老院护理员（双休）");
        assert!(c.matched_terms.iter().any(|t| t == "护理员"), "{c:?}");
        assert!(c.matched_terms.iter().any(|t| t == "养老"), "{c:?}");
        assert!(!c.matched_terms.iter().any(|t| t.contains("双休")), "{c:?}");
        assert!(c.reason().contains("匹配词"), "{}", c.reason());
        assert!(top("汽车装配工").reason().contains("一致"));
        // Serialised for the confirmation queue.
        let json = serde_json::to_value(top("汽车装配工")).unwrap();
        assert_eq!(json["kind"], "exact_name");
        assert_eq!(json["code"], "6-22-01-01");
    }

    #[test]
    fn aliases_bridge_posting_words() {
        let c = top("Java开发工程师");
        assert!(c.matched_terms.iter().any(|t| t == "java→软件"), "{c:?}");
        let c = top("网络运维管理员");
        assert_eq!(c.code, "4-04-05-01");
        assert!(c.matched_terms.iter().any(|t| t == "运维→运行"), "{c:?}");
        // A literal word is not shown as an alias.
        let c = top("JAVA软件开发工程师");
        assert!(c.matched_terms.iter().any(|t| t == "软件"), "{c:?}");
        // Aliases weigh less than the word itself.
        assert!(top("Java开发工程师").confidence < c.confidence);
    }

    #[test]
    fn bigrams_do_not_span_words() {
        // "汽车工程师" contains the characters 车工 but not the word.
        let best = matcher().best("汽车工程师", 10);
        assert_eq!(best[0].code, "2-02-07-01", "{best:?}");
        assert!(best.iter().all(|c| c.code != "6-18-01-01"), "{best:?}");
        // Nor does an occupation name that is a unit of the title.
        let best = matcher().best("汽车工程技术人员助理", 10);
        assert_eq!(best[0].kind, MatchKind::ContainsName);
        assert!(best.iter().all(|c| c.code != "6-18-01-01"), "{best:?}");
    }

    #[test]
    fn confidence_follows_how_much_of_the_title_is_explained() {
        let exact = top("养老护理员").confidence;
        let partial = top("养老院护理员").confidence;
        let vague = top("护理员").confidence;
        assert!(
            exact > partial && partial > vague,
            "{exact} {partial} {vague}"
        );
        assert!(partial >= 0.5, "{partial}");
    }

    #[test]
    fn normalisation() {
        let m = matcher();
        assert_eq!(m.normalize_title("汽车装配工（急招）"), "汽车装配工");
        assert_eq!(
            m.normalize_title("急招 汽车装配工/包吃住 8000元"),
            "汽车装配工"
        );
        assert_eq!(m.normalize_title("ＪＡＶＡ开发工程师"), "java开发工程师");
        assert_eq!(m.normalize_title("储备干部【高薪】"), "干部");
        assert_eq!(m.normalize_title("汽车装配学徒"), "汽车装配学徒");
    }

    #[test]
    fn match_all_dedupes_and_keeps_order() {
        let titles = ["车工", "快来", "车工", "养老护理员", "车工"];
        let all = matcher().match_all(titles.iter().copied());
        let codes: Vec<Option<&str>> = all
            .iter()
            .map(|c| c.as_ref().map(|c| c.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                Some("6-18-01-01"),
                None,
                Some("6-18-01-01"),
                Some("4-10-01-05"),
                Some("6-18-01-01")
            ]
        );
    }

    #[test]
    fn long_titles_are_cut() {
        let title = format!("汽车装配工{}", "装配".repeat(50_000));
        let c = top(&title);
        assert_eq!(c.code, "6-22-01-01");
        assert_eq!(matcher().normalize_title(&title).chars().count(), 256);
    }

    #[test]
    fn empty_index_and_zero_k() {
        let m = Matcher::new(&[]);
        assert!(m.is_empty());
        assert!(m.match_title("汽车装配工").is_none());
        assert!(matcher().best("汽车装配工", 0).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn any_occupation_list_builds(docs in proptest::collection::vec(
            ("[0-9-]{0,10}", "\\PC{0,8}", "\\PC{0,20}"),
            0..12,
        ), title in "\\PC{0,12}") {
            let docs: Vec<OccupationDoc> = docs
                .into_iter()
                .map(|(code, name, description)| OccupationDoc { code, name, description })
                .collect();
            let m = Matcher::new(&docs);
            for doc in &docs {
                for c in m.best(&doc.name, 3).into_iter().chain(m.best(&title, 3)) {
                    prop_assert!((0.0..=1.0).contains(&c.confidence), "{c:?}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_input_is_safe(title in "(?s).{0,60}") {
            for c in matcher().best(&title, 5) {
                prop_assert!((0.0..=1.0).contains(&c.confidence), "{c:?}");
                prop_assert!(c.score.is_finite());
            }
        }

        #[test]
        fn noisy_mixtures_are_safe(parts in proptest::collection::vec(
            prop_oneof![
                Just("汽车"), Just("装配工"), Just("（急招）"), Just("【"), Just(")"),
                Just("/"), Just("ＪＡＶＡ"), Just("８０００"), Just("护理员"), Just("包吃住"),
                Just(" "), Just("、"), Just("车工"), Just("𠀀"), Just("é"),
            ],
            0..12,
        )) {
            let title = parts.concat();
            let best = matcher().best(&title, 10);
            for pair in best.windows(2) {
                prop_assert!(pair[0].confidence >= pair[1].confidence);
            }
            for c in &best {
                prop_assert!((0.0..=1.0).contains(&c.confidence), "{title}: {c:?}");
            }
        }
    }
}
