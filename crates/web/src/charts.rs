//! Server-rendered SVG charts: they print, export and need no script or CDN.

use std::fmt::Write;

/// One bar of a horizontal stacked bar chart.
pub struct Bar {
    pub label: String,
    /// Values per series, in the order of `series`.
    pub values: Vec<i64>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal stacked bar chart with a legend; `title` is the accessible name.
pub fn stacked_bars(title: &str, series: &[(&str, &str)], bars: &[Bar]) -> String {
    let row_h = 18;
    let label_w = 150;
    let bar_w = 520;
    let top = 30;
    let height = top + bars.len() as i32 * row_h + 10;
    let width = label_w + bar_w + 70;
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="100%" class="chart"><title>{t}</title>"#,
        t = esc(title)
    );
    // Legend
    let mut x = label_w;
    for (name, color) in series {
        let _ = write!(
            s,
            r#"<rect x="{x}" y="6" width="12" height="12" fill="{color}"/><text x="{}" y="16" font-size="12">{}</text>"#,
            x + 16,
            esc(name)
        );
        x += 110;
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + i as i32 * row_h;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>"#,
            label_w - 6,
            y + 12,
            esc(&b.label)
        );
        let mut x = label_w as f64;
        for (v, (name, color)) in b.values.iter().zip(series) {
            let w = *v as f64 / max as f64 * bar_w as f64;
            if w > 0.0 {
                let _ = write!(
                    s,
                    r#"<rect x="{x:.1}" y="{}" width="{w:.1}" height="{}" fill="{color}"><title>{}：{} {v}</title></rect>"#,
                    y + 2,
                    row_h - 5,
                    esc(&b.label),
                    esc(name)
                );
            }
            x += w;
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="11" fill="#555">{}</text>"##,
            x + 4.0,
            y + 12,
            b.values.iter().sum::<i64>()
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = stacked_bars(
            "t",
            &[("院校", "#1f5fa8"), ("企业", "#e08a1e")],
            &[
                Bar {
                    label: "渝中区".into(),
                    values: vec![1, 1],
                },
                Bar {
                    label: "<x>".into(),
                    values: vec![0, 4],
                },
            ],
        );
        assert!(
            svg.contains(r#"width="520.0""#),
            "largest bar spans the full width"
        );
        assert!(svg.contains("&lt;x&gt;"));
        assert!(!svg.contains("<x>"));
    }
}
