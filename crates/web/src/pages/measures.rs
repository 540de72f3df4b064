//! The 13 measures (public pages).

use askama::Template;
use axum::extract::Path;
use axum::routing::get;
use domain::reference::{MEASURES, Measure, unit};

use super::{Layout, render};
use crate::auth::MaybeCaller;
use crate::error::{AppError, PageError, PageResult};

pub fn router() -> super::Routes {
    super::Routes::new()
        .route("/measures", get(list))
        .route("/measures/{number}", get(detail))
}

pub struct UnitView {
    pub name: &'static str,
    pub full_name: &'static str,
    pub lead: bool,
}

pub struct MeasureView {
    pub number: u8,
    pub title: &'static str,
    pub summary: &'static str,
    pub units: Vec<UnitView>,
}

pub fn view(m: &Measure) -> MeasureView {
    MeasureView {
        number: m.number,
        title: m.title,
        summary: m.summary,
        units: m
            .units
            .iter()
            .filter_map(|(code, lead)| {
                unit(code).map(|u| UnitView {
                    name: u.name,
                    full_name: u.full_name,
                    lead: *lead,
                })
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "measures.html")]
struct ListPage {
    layout: Layout,
    measures: Vec<MeasureView>,
}

#[derive(Template)]
#[template(path = "measure_detail.html")]
struct DetailPage {
    layout: Layout,
    m: MeasureView,
}

async fn list(MaybeCaller(caller): MaybeCaller) -> PageResult {
    render(&ListPage {
        layout: Layout::new("十三项措施", "measures", caller.as_ref()),
        measures: MEASURES.iter().map(view).collect(),
    })
}

async fn detail(MaybeCaller(caller): MaybeCaller, Path(number): Path<String>) -> PageResult {
    let m = number
        .parse::<u8>()
        .ok()
        .and_then(domain::reference::measure)
        .ok_or(PageError(AppError::NotFound("措施")))?;
    let v = view(m);
    render(&DetailPage {
        layout: Layout::new(
            &format!("第{}项 {}", v.number, v.title),
            "measures",
            caller.as_ref(),
        ),
        m: v,
    })
}
