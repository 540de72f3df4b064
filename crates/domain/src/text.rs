//! Free text as people type it: the blanks around it do not count, and its length is bounded.
//! The same bounds give the server's check and the API document's pattern, so the two agree.

/// The characters trimmed from both ends of typed text (ASCII blanks, the ideographic space a
/// Chinese input method types, the no-break space).
pub const BLANK: [char; 6] = [' ', '\t', '\n', '\r', '\u{3000}', '\u{a0}'];

/// A regular-expression class of any character but NUL, which no stored text may hold (the
/// API refuses it everywhere; PostgreSQL cannot store it).
pub const NOT_NUL: &str = "[^\\u0000]";

/// `s` without the [`BLANK`]s around it.
pub fn trim(s: &str) -> &str {
    s.trim_matches(&BLANK[..])
}

/// A regular-expression class (JSON Schema / ECMA-262 dialect) of the [`BLANK`]s, `[ \t…]`.
pub fn blank_class() -> String {
    let inner: String = BLANK
        .iter()
        .map(|c| match c {
            '\t' => "\\t".to_string(),
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            ' ' => " ".to_string(),
            c => format!("\\u{:04x}", *c as u32),
        })
        .collect();
    format!("[{inner}]")
}

/// Bounds on the length of a text, in characters, counted after [`trim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: usize,
    pub max: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthError {
    /// Shorter than `min` (`0` characters: empty).
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// Holds a NUL character.
    Nul,
}

impl LengthError {
    /// The problem in Chinese, after the field's label: “机构名称” + “至少2个字”.
    pub fn message(self) -> String {
        match self {
            LengthError::TooShort { min: 1 } => "不能为空".to_string(),
            LengthError::TooShort { min } => format!("至少{min}个字"),
            LengthError::TooLong { max } => format!("不能超过{max}个字"),
            LengthError::Nul => "不能含有 NUL 字符".to_string(),
        }
    }
}

impl Bounds {
    pub const fn new(min: usize, max: usize) -> Bounds {
        Bounds { min, max }
    }

    /// The trimmed text, if its length is within the bounds (and it holds no NUL).
    pub fn check(self, s: &str) -> Result<&str, LengthError> {
        if s.contains('\0') {
            return Err(LengthError::Nul);
        }
        let t = trim(s);
        let n = t.chars().count();
        if n < self.min {
            Err(LengthError::TooShort { min: self.min })
        } else if n > self.max {
            Err(LengthError::TooLong { max: self.max })
        } else {
            Ok(t)
        }
    }

    /// A regular expression (JSON Schema / ECMA-262 dialect) matching exactly the texts
    /// [`Bounds::check`] accepts.
    pub fn pattern(self) -> String {
        let b = blank_class();
        let nb = format!("[^\\u0000{}", &b[1..]);
        let any = NOT_NUL;
        let core = match (self.min, self.max) {
            (_, 0) => String::new(),
            (0 | 1, 1) => nb.clone(),
            (0 | 1, max) => format!("{nb}(?:{any}{{0,{}}}{nb})?", max - 2),
            (min, max) => format!("{nb}{any}{{{},{}}}{nb}", min - 2, max - 2),
        };
        match self.min {
            0 => format!("^{b}*(?:{core})?{b}*$"),
            _ => format!("^{b}*{core}{b}*$"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn agree(bounds: Bounds, s: &str) {
        let re = regex::Regex::new(&bounds.pattern()).unwrap();
        assert_eq!(
            re.is_match(s),
            bounds.check(s).is_ok(),
            "{bounds:?} {s:?} {}",
            bounds.pattern()
        );
    }

    #[test]
    fn check_trims_and_bounds() {
        let b = Bounds::new(2, 5);
        assert_eq!(b.check(" \u{3000}重庆 \n"), Ok("重庆"));
        assert_eq!(b.check(" 渝 "), Err(LengthError::TooShort { min: 2 }));
        assert_eq!(
            b.check("一二三四五六"),
            Err(LengthError::TooLong { max: 5 })
        );
        assert_eq!(
            Bounds::new(1, 9).check("  ").unwrap_err().message(),
            "不能为空"
        );
        assert_eq!(Bounds::new(0, 9).check("  "), Ok(""));
    }

    #[test]
    fn pattern_matches_exactly_what_check_accepts_on_edges() {
        for bounds in [
            Bounds::new(0, 3),
            Bounds::new(1, 1),
            Bounds::new(1, 3),
            Bounds::new(2, 4),
        ] {
            for s in [
                "",
                " ",
                "a",
                " a ",
                "ab",
                "a b",
                "a\nb",
                "abc",
                "abcd",
                "abcde",
                "\u{3000}ab\u{3000}",
                "a\u{85}",
                "\u{85}",
                "a\0b",
                "\0",
            ] {
                agree(bounds, s);
            }
        }
    }

    proptest! {
        #[test]
        fn pattern_agrees_with_check(s in "[ a\\n\\t\u{3000}\u{a0}\u{85}\u{0}渝]{0,8}", min in 0usize..4, extra in 0usize..4) {
            agree(Bounds::new(min, min.max(1) + extra), &s);
        }
    }
}
