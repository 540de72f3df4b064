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

/// The opening `<svg>` with its accessible title.
fn svg_open(title: &str, width: impl std::fmt::Display, height: impl std::fmt::Display) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="100%" class="chart"><title>{t}</title>"#,
        t = esc(title)
    )
}

/// A legend along the top: a swatch and a name per series, `step` apart from `x`.
fn legend(s: &mut String, x: f64, step: f64, series: &[(&str, &str)]) {
    for (i, (name, color)) in series.iter().enumerate() {
        let x = x + step * i as f64;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="6" width="12" height="12" fill="{color}"/><text x="{}" y="16" font-size="12">{}</text>"#,
            x + 16.0,
            esc(name)
        );
    }
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
    let mut s = svg_open(title, width, height);
    legend(&mut s, label_w as f64, 110.0, series);
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

/// One group of a grouped bar chart: a label and one value per series (may be fractional).
pub struct Group {
    pub label: String,
    pub values: Vec<f64>,
}

/// Horizontal grouped bars (one thin bar per series in each group) with a legend, each bar
/// labelled with its value; for comparing e.g. supply with demand side by side.
pub fn grouped_bars(title: &str, series: &[(&str, &str)], groups: &[Group]) -> String {
    let bar_h = 9;
    let n = series.len().max(1) as i32;
    let row_h = n * bar_h + 8;
    let label_w = 170;
    let bar_w = 480;
    let top = 30;
    let height = top + groups.len() as i32 * row_h + 10;
    let width = label_w + bar_w + 90;
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let mut s = svg_open(title, width, height);
    legend(&mut s, label_w as f64, 140.0, series);
    for (i, g) in groups.iter().enumerate() {
        let y = top + i as i32 * row_h;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>"#,
            label_w - 6,
            y + row_h / 2 + 2,
            esc(&g.label)
        );
        for (k, (v, (name, color))) in g.values.iter().zip(series).enumerate() {
            let by = y + k as i32 * bar_h;
            let w = (v / max * bar_w as f64).max(0.0);
            let _ = write!(
                s,
                r##"<rect x="{label_w}" y="{by}" width="{w:.1}" height="{}" fill="{color}"><title>{}：{} {v:.0}</title></rect><text x="{:.1}" y="{}" font-size="9" fill="#555">{v:.0}</text>"##,
                bar_h - 1,
                esc(&g.label),
                esc(name),
                label_w as f64 + w + 3.0,
                by + bar_h - 1,
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A line chart over years: one polyline per series (values may be missing), y from 0 to the
/// largest value (or `y_max` when given), with the values labelled as `fmt` renders them.
pub fn line_chart(
    title: &str,
    years: &[i32],
    series: &[(&str, &str, Vec<Option<f64>>)],
    y_max: Option<f64>,
    fmt: impl Fn(f64) -> String,
) -> String {
    let (width, height) = (640.0_f64, 240.0_f64);
    let (left, right, top, bottom) = (50.0, 20.0, 30.0, 30.0);
    let max = y_max.unwrap_or_else(|| {
        series
            .iter()
            .flat_map(|(_, _, v)| v.iter().flatten().copied())
            .fold(0.0_f64, f64::max)
            .max(1e-9)
    });
    let n = years.len().max(2) as f64;
    let px = |i: usize| left + (width - left - right) * i as f64 / (n - 1.0);
    let py = |v: f64| top + (height - top - bottom) * (1.0 - (v / max).clamp(0.0, 1.0));
    let mut s = svg_open(title, width, height);
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/><line x1="{left}" y1="{top}" x2="{left}" y2="{b}" stroke="#999"/><text x="{}" y="{}" font-size="10" text-anchor="end">{}</text><text x="{}" y="{b}" font-size="10" text-anchor="end">0</text>"##,
        left - 4.0,
        top + 4.0,
        esc(&fmt(max)),
        left - 4.0,
        b = height - bottom,
        r = width - right,
    );
    for (i, y) in years.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{y}</text>"#,
            px(i),
            height - bottom + 16.0
        );
    }
    let names: Vec<(&str, &str)> = series.iter().map(|(n, c, _)| (*n, *c)).collect();
    legend(&mut s, left, 150.0, &names);
    for (name, color, values) in series {
        let pts: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", px(i), py(v))))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{} {}：{}</title></circle><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"#,
                    px(i),
                    py(*v),
                    esc(name),
                    years[i],
                    esc(&fmt(*v)),
                    px(i),
                    py(*v) - 6.0,
                    esc(&fmt(*v))
                );
            }
        }
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

    #[test]
    fn grouped_bars_scale_and_lines_skip_missing_years() {
        let svg = grouped_bars(
            "供需",
            &[("毕业生", "#1f5fa8"), ("需求", "#e08a1e")],
            &[Group {
                label: "装备制造大类".into(),
                values: vec![50.0, 100.0],
            }],
        );
        assert!(
            svg.contains(r#"width="480.0""#),
            "largest bar spans the width"
        );
        assert!(
            svg.contains(r#"width="240.0""#),
            "half the largest is half as wide"
        );
        let svg = line_chart(
            "就业率",
            &[2021, 2022, 2023],
            &[("就业率", "#1f5fa8", vec![Some(0.5), None, Some(1.0)])],
            Some(1.0),
            |v| format!("{:.0}%", v * 100.0),
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("50%") && svg.contains("100%"));
    }
}
