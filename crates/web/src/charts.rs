//! Server-rendered SVG charts: they print, export and need no script or CDN.
//!
//! Text is laid out by its measured width ([`text_width`]: a CJK character is one em wide), so
//! labels never overlap: the label column of a bar chart is as wide as its longest label (long
//! labels wrap onto two lines), the axis of a line chart shows every label that fits and thins
//! the rest, and value labels that would collide move below their point. Numbers are shown as
//! people read them (digits grouped by thousands, `domain::numbers`).

use std::fmt::Write;

use domain::numbers::group;

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

/// The width of `s` in px at font size `size` px: CJK and other full-width characters one em,
/// ASCII letters and digits about 0.6 em (narrow punctuation less, wide letters more). An upper
/// bound for the fonts pages use, so boxes measured with it do not overlap on screen.
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            ' ' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'i' | 'l' | 'j' | 'I' => 0.32,
            '%' | 'm' | 'w' | 'M' | 'W' | '@' => 0.9,
            'A'..='Z' => 0.7,
            '·' => 0.5,
            c if c.is_ascii() => 0.6,
            _ => 1.0,
        })
        .sum::<f64>()
        * size
}

/// `s` split into lines no wider than `max` px at `size` px (at most `lines` lines; the last
/// one ends in “…” when the text does not fit).
fn wrap(s: &str, size: f64, max: f64, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        let mut next = cur.clone();
        next.push(c);
        if text_width(&next, size) > max && !cur.is_empty() {
            if out.len() + 1 == lines {
                while text_width(&format!("{cur}…"), size) > max && cur.pop().is_some() {}
                cur.push('…');
                out.push(cur);
                return out;
            }
            out.push(std::mem::take(&mut cur));
            cur.push(c);
        } else {
            cur = next;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The opening `<svg>` with its accessible title.
fn svg_open(title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width:.0} {height:.0}" width="100%" class="chart"><title>{t}</title>"#,
        t = esc(title)
    )
}

const LEGEND_FONT: f64 = 12.0;
const LABEL_FONT: f64 = 12.0;
/// The widest label column of a bar chart; longer labels wrap.
const MAX_LABEL_W: f64 = 240.0;

/// A legend along the top from `x`: a swatch and a name per series, spaced by the names'
/// widths. Returns the x where it ends.
fn legend(s: &mut String, x: f64, series: &[(&str, &str)]) -> f64 {
    let mut x = x;
    for (name, color) in series {
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="6" width="12" height="12" fill="{color}"/><text x="{:.1}" y="16" font-size="{LEGEND_FONT}">{}</text>"#,
            x + 16.0,
            esc(name)
        );
        x += 16.0 + text_width(name, LEGEND_FONT) + 24.0;
    }
    x
}

/// The label column of a bar chart: its width (the longest label, at most [`MAX_LABEL_W`]) and
/// each label's lines.
fn label_column(labels: &[&str]) -> (f64, Vec<Vec<String>>) {
    let widest = labels
        .iter()
        .map(|l| text_width(l, LABEL_FONT))
        .fold(0.0_f64, f64::max);
    let w = widest.min(MAX_LABEL_W);
    let lines = labels.iter().map(|l| wrap(l, LABEL_FONT, w, 2)).collect();
    (w + 12.0, lines)
}

/// Writes a label's lines right-aligned at `x`, centred on `mid`.
fn label_lines(s: &mut String, x: f64, mid: f64, lines: &[String], full: &str) {
    let n = lines.len() as f64;
    for (i, line) in lines.iter().enumerate() {
        let y = mid + 4.0 + (i as f64 - (n - 1.0) / 2.0) * (LABEL_FONT + 2.0);
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{LABEL_FONT}" text-anchor="end">{}{}</text>"#,
            esc(line),
            if lines.len() > 1 || line != full {
                format!("<title>{}</title>", esc(full))
            } else {
                String::new()
            }
        );
    }
}

/// A horizontal stacked bar chart with a legend; `title` is the accessible name.
pub fn stacked_bars(title: &str, series: &[(&str, &str)], bars: &[Bar]) -> String {
    let value_font = 11.0;
    let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
    let (label_w, lines) = label_column(&labels);
    let wrapped = lines.iter().any(|l| l.len() > 1);
    let row_h = if wrapped { 32.0 } else { 18.0 };
    let bar_w = 520.0;
    let top = 30.0;
    let totals: Vec<String> = bars
        .iter()
        .map(|b| group(&b.values.iter().sum::<i64>().to_string()))
        .collect();
    let value_w = totals
        .iter()
        .map(|t| text_width(t, value_font))
        .fold(0.0_f64, f64::max);
    let height = top + bars.len() as f64 * row_h + 10.0;
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut body = String::new();
    let legend_end = legend(&mut body, label_w, series);
    let width = (label_w + bar_w + value_w + 12.0).max(legend_end);
    for (i, b) in bars.iter().enumerate() {
        let y = top + i as f64 * row_h;
        label_lines(
            &mut body,
            label_w - 6.0,
            y + row_h / 2.0,
            &lines[i],
            &b.label,
        );
        let mut x = label_w;
        let bar_h = 13.0;
        let by = y + (row_h - bar_h) / 2.0;
        for (v, (name, color)) in b.values.iter().zip(series) {
            let w = *v as f64 / max as f64 * bar_w;
            if w > 0.0 {
                let _ = write!(
                    body,
                    r#"<rect x="{x:.1}" y="{by:.1}" width="{w:.1}" height="{bar_h}" fill="{color}"><title>{}：{} {}</title></rect>"#,
                    esc(&b.label),
                    esc(name),
                    group(&v.to_string())
                );
            }
            x += w;
        }
        let _ = write!(
            body,
            r##"<text x="{:.1}" y="{:.1}" font-size="{value_font}" fill="#555">{}</text>"##,
            x + 4.0,
            by + 10.5,
            totals[i]
        );
    }
    let mut s = svg_open(title, width, height);
    s.push_str(&body);
    s.push_str("</svg>");
    s
}

/// One group of a grouped bar chart: a label and one value per series (may be fractional).
pub struct Group {
    pub label: String,
    pub values: Vec<f64>,
}

/// Horizontal grouped bars (one thin bar per series in each group) with a legend, each bar
/// labelled with its value (rounded to a whole number, digits grouped); for comparing e.g.
/// supply with demand side by side.
pub fn grouped_bars(title: &str, series: &[(&str, &str)], groups: &[Group]) -> String {
    let bar_h = 10.0;
    let value_font = 10.0;
    let n = series.len().max(1) as f64;
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    let (label_w, lines) = label_column(&labels);
    let wrapped = lines.iter().any(|l| l.len() > 1);
    let row_h = (n * bar_h + 8.0).max(if wrapped { 34.0 } else { 0.0 });
    let bar_w = 480.0;
    let top = 30.0;
    let value_text: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            g.values
                .iter()
                .map(|v| domain::numbers::float(*v, 0))
                .collect()
        })
        .collect();
    let value_w = value_text
        .iter()
        .flatten()
        .map(|t| text_width(t, value_font))
        .fold(0.0_f64, f64::max);
    let height = top + groups.len() as f64 * row_h + 10.0;
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let mut body = String::new();
    let legend_end = legend(&mut body, label_w, series);
    let width = (label_w + bar_w + value_w + 12.0).max(legend_end);
    for (i, g) in groups.iter().enumerate() {
        let y = top + i as f64 * row_h;
        label_lines(
            &mut body,
            label_w - 6.0,
            y + row_h / 2.0,
            &lines[i],
            &g.label,
        );
        let first = y + (row_h - n * bar_h) / 2.0;
        for (k, (v, (name, color))) in g.values.iter().zip(series).enumerate() {
            let by = first + k as f64 * bar_h;
            let w = (v / max * bar_w).max(0.0);
            let text = &value_text[i][k];
            let _ = write!(
                body,
                r##"<rect x="{label_w:.1}" y="{by:.1}" width="{w:.1}" height="{}" fill="{color}"><title>{}：{} {text}</title></rect><text x="{:.1}" y="{:.1}" font-size="{value_font}" fill="#555">{text}</text>"##,
                bar_h - 1.0,
                esc(&g.label),
                esc(name),
                label_w + w + 3.0,
                by + bar_h - 1.5,
            );
        }
    }
    let mut s = svg_open(title, width, height);
    s.push_str(&body);
    s.push_str("</svg>");
    s
}

/// A round step for about `n` intervals up to `max`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(1e-12);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// A line chart over years: one polyline per series (values may be missing), y from 0 to the
/// largest value rounded up to a tick (or to `y_max` when given), gridlines at round values,
/// each point labelled as `fmt` renders it (labels that would collide move below their point).
pub fn line_chart(
    title: &str,
    years: &[i32],
    series: &[(&str, &str, Vec<Option<f64>>)],
    y_max: Option<f64>,
    fmt: impl Fn(f64) -> String,
) -> String {
    let (width, height) = (640.0_f64, 240.0_f64);
    let (top, bottom, right) = (34.0, 30.0, 12.0);
    let (axis_font, value_font) = (11.0, 10.0);
    let data_max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().flatten().copied())
        .fold(0.0_f64, f64::max);
    let (max, step) = match y_max {
        Some(m) => (m, m / 4.0),
        None => {
            let step = nice_step(data_max.max(1e-9), 4.0);
            ((data_max / step).ceil().max(1.0) * step, step)
        }
    };
    let ticks: Vec<f64> = (0..)
        .map(|i| i as f64 * step)
        .take_while(|t| *t <= max * (1.0 + 1e-9))
        .collect();
    let tick_text: Vec<String> = ticks.iter().map(|t| fmt(*t)).collect();
    let left = 8.0
        + tick_text
            .iter()
            .map(|t| text_width(t, axis_font))
            .fold(0.0_f64, f64::max);
    // Points stand in from the axes by half the widest value label, so no label crosses an
    // axis or the edge.
    let labels: Vec<Vec<Option<String>>> = series
        .iter()
        .map(|(_, _, v)| v.iter().map(|x| x.map(&fmt)).collect())
        .collect();
    let widest_value = labels
        .iter()
        .flatten()
        .flatten()
        .map(|t| text_width(t, value_font))
        .fold(0.0_f64, f64::max);
    let inset = (widest_value / 2.0 + 4.0).max(12.0);
    let n = years.len().max(1);
    let plot_l = left + inset;
    let plot_r = width - right - inset;
    let px = |i: usize| {
        if n == 1 {
            (plot_l + plot_r) / 2.0
        } else {
            plot_l + (plot_r - plot_l) * i as f64 / (n - 1) as f64
        }
    };
    let py = |v: f64| top + (height - top - bottom) * (1.0 - (v / max).clamp(0.0, 1.0));
    let base = height - bottom;
    let mut s = svg_open(title, width, height);
    for (t, text) in ticks.iter().zip(&tick_text) {
        let y = py(*t);
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}"/><text x="{:.1}" y="{:.1}" font-size="{axis_font}" text-anchor="end">{}</text>"##,
            width - right,
            if *t == 0.0 { "#999" } else { "#e4e4e4" },
            left - 4.0,
            y + 4.0,
            esc(text)
        );
    }
    // Year labels: every k-th, k as small as lets neighbours keep 8 px apart.
    let year_w = years
        .iter()
        .map(|y| text_width(&y.to_string(), axis_font))
        .fold(0.0_f64, f64::max);
    let gap = if n > 1 {
        (plot_r - plot_l) / (n - 1) as f64
    } else {
        f64::MAX
    };
    let every = ((year_w + 8.0) / gap).ceil().max(1.0) as usize;
    for (i, y) in years.iter().enumerate() {
        // Thinned from the last year back, so the latest year is always labelled.
        if !(n - 1 - i).is_multiple_of(every) {
            continue;
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="{axis_font}" text-anchor="middle">{y}</text>"#,
            px(i),
            base + 16.0
        );
    }
    let names: Vec<(&str, &str)> = series.iter().map(|(n, c, _)| (*n, *c)).collect();
    legend(&mut s, left, &names);
    // Value labels: above the point, unless that collides with a label already placed at the
    // same year (or the top edge); then below; thinned like the years when they are wider
    // than the distance between points.
    let value_every = ((widest_value + 6.0) / gap).ceil().max(1.0) as usize;
    let mut placed: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n];
    let mut texts = String::new();
    for ((name, color, values), labels) in series.iter().zip(&labels) {
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
            let (Some(v), Some(text)) = (v, &labels[i]) else {
                continue;
            };
            let (x, y) = (px(i), py(*v));
            let _ = write!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"><title>{} {}：{}</title></circle>"#,
                esc(name),
                years[i],
                esc(text),
            );
            if !(n - 1 - i).is_multiple_of(value_every) {
                continue;
            }
            let h = value_font + 2.0;
            let free = |base: f64| {
                // Below the legend (its text ends at y = 20).
                base - h >= 22.0
                    && base <= height - bottom - 2.0
                    && placed[i]
                        .iter()
                        .all(|(lo, hi)| base <= *lo || base - h >= *hi)
            };
            let above = y - 6.0;
            let below = y + 4.0 + h;
            let Some(at) = [above, below, above - h, below + h]
                .into_iter()
                .find(|b| free(*b))
            else {
                continue;
            };
            placed[i].push((at - h, at));
            let _ = write!(
                texts,
                r#"<text x="{x:.1}" y="{at:.1}" font-size="{value_font}" text-anchor="middle">{}</text>"#,
                esc(text)
            );
        }
    }
    s.push_str(&texts);
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `<text>` element's box: (left, top, right, bottom) and its text.
    fn text_boxes(svg: &str) -> Vec<((f64, f64, f64, f64), String)> {
        let re = regex::Regex::new(r#"<text ([^>]*)>([^<]*)"#).unwrap();
        let attr = |attrs: &str, name: &str| -> Option<String> {
            let re = regex::Regex::new(&format!(r#"\b{name}="([^"]*)""#)).unwrap();
            re.captures(attrs).map(|c| c[1].to_string())
        };
        re.captures_iter(svg)
            .map(|c| {
                let a = &c[1];
                let text = c[2].replace("&amp;", "&").replace("&lt;", "<");
                let x: f64 = attr(a, "x").unwrap().parse().unwrap();
                let y: f64 = attr(a, "y").unwrap().parse().unwrap();
                let size: f64 = attr(a, "font-size").unwrap().parse().unwrap();
                let w = text_width(&text, size);
                let left = match attr(a, "text-anchor").as_deref() {
                    Some("end") => x - w,
                    Some("middle") => x - w / 2.0,
                    _ => x,
                };
                // Baseline at y: ascent about 0.9 em, descent 0.2 em.
                ((left, y - 0.9 * size, left + w, y + 0.2 * size), text)
            })
            .collect()
    }

    /// Fails with the pair when any two texts of the chart overlap or a text leaves the
    /// drawing.
    fn assert_no_overlap(svg: &str) {
        let vb = regex::Regex::new(r#"viewBox="0 0 ([\d.]+) ([\d.]+)""#).unwrap();
        let c = vb.captures(svg).unwrap();
        let (w, h): (f64, f64) = (c[1].parse().unwrap(), c[2].parse().unwrap());
        let boxes = text_boxes(svg);
        assert!(!boxes.is_empty());
        for (i, (a, ta)) in boxes.iter().enumerate() {
            assert!(
                a.0 >= -0.5 && a.2 <= w + 0.5 && a.1 >= -0.5 && a.3 <= h + 0.5,
                "“{ta}” {a:?} leaves the {w}×{h} drawing"
            );
            for (b, tb) in &boxes[i + 1..] {
                let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
                assert!(apart, "“{ta}” {a:?} overlaps “{tb}” {b:?}");
            }
        }
    }

    /// Every number of four or more digits shown is grouped by thousands.
    fn assert_grouped(svg: &str) {
        let ungrouped = regex::Regex::new(r"\d{4,}").unwrap();
        for (_, t) in text_boxes(svg) {
            // Years label the axis of line charts.
            let is_year = t.len() == 4 && (t.starts_with("19") || t.starts_with("20"));
            assert!(
                is_year || !ungrouped.is_match(&t),
                "ungrouped number in “{t}”"
            );
        }
    }

    #[test]
    fn cjk_is_an_em_wide_and_ascii_narrower() {
        assert_eq!(text_width("装备制造大类", 12.0), 72.0);
        assert!(text_width("2025", 12.0) < 30.0);
        assert!(text_width("93.7%", 10.0) < 40.0);
        assert_eq!(
            wrap("能源动力与材料大类（职业本科）", 12.0, 120.0, 2),
            vec!["能源动力与材料大类（", "职业本科）"]
        );
        assert_eq!(
            wrap("一二三四五六七八九十", 12.0, 36.0, 2),
            vec!["一二三", "四五…"]
        );
    }

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
        assert_no_overlap(&svg);
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

    #[test]
    fn long_and_repeated_labels_get_room_and_numbers_are_grouped() {
        let names = [
            "装备制造大类（高职专科）",
            "装备制造大类（中职）",
            "能源动力与材料大类（职业本科）",
            "新一代电子信息制造业与软件和信息服务业集群（一个长得两行也放不下、须截断并在提示中给出全名的名称）",
            "医药卫生大类（高职专科）",
        ];
        let groups: Vec<Group> = names
            .iter()
            .enumerate()
            .map(|(i, l)| Group {
                label: l.to_string(),
                values: vec![14_549.0 / (i + 1) as f64, 336.0 * i as f64],
            })
            .collect();
        let svg = grouped_bars(
            "供需",
            &[("毕业生（人）", "#1f5fa8"), ("岗位需求（人）", "#e08a1e")],
            &groups,
        );
        assert!(svg.contains(">14,549<"), "{svg}");
        assert!(
            svg.contains("…"),
            "the longest label is cut, not run into the bars"
        );
        assert!(svg.contains(">能源动力与材料大类（职业本科）<"), "{svg}");
        assert_no_overlap(&svg);
        assert_grouped(&svg);
        let bars: Vec<Bar> = names
            .iter()
            .map(|l| Bar {
                label: l.to_string(),
                values: vec![1_200, 3_400],
            })
            .collect();
        let svg = stacked_bars("t", &[("院校", "#1f5fa8"), ("企业", "#e08a1e")], &bars);
        assert!(svg.contains(">4,600<"));
        assert_no_overlap(&svg);
        assert_grouped(&svg);
    }

    #[test]
    fn line_labels_neither_collide_nor_cross_the_axis() {
        // Close values of two series, a rate near the top, the axis label at 100%.
        let svg = line_chart(
            "全市就业率与专业对口率",
            &[2021, 2022, 2023, 2024, 2025],
            &[
                (
                    "就业率",
                    "#1f5fa8",
                    vec![
                        Some(0.932),
                        Some(0.933),
                        Some(0.934),
                        Some(0.935),
                        Some(0.999),
                    ],
                ),
                (
                    "对口率（占就业）",
                    "#2e8b57",
                    vec![
                        Some(0.925),
                        Some(0.588),
                        Some(0.93),
                        Some(0.595),
                        Some(0.99),
                    ],
                ),
            ],
            Some(1.0),
            |v| format!("{:.1}%", v * 100.0),
        );
        assert_no_overlap(&svg);
        assert_eq!(
            svg.matches("%</text>").count(),
            10 + 5,
            "every value and tick"
        );
        // Many years: thinned, the latest kept.
        let years: Vec<i32> = (1990..=2025).collect();
        let values: Vec<Option<f64>> = years.iter().map(|y| Some(*y as f64 * 7.5)).collect();
        let svg = line_chart(
            "毕业生",
            &years,
            &[("毕业生（人）", "#1f5fa8", values)],
            None,
            |v| domain::numbers::float(v, 0),
        );
        assert_no_overlap(&svg);
        assert_grouped(&svg);
        assert!(svg.contains(">2025</text>"));
        assert!(svg.contains(">15,188</text>"), "{svg}");
    }
}
