//! The 13 measures' public pages: the list and a measure with where its work is done.

use askama::Template;
use axum::extract::Path;
use axum::routing::get;
use domain::reference::MEASURES;

use super::{MeasureView, WORK, WorkLink, view};
use crate::auth::MaybeCaller;
use crate::error::{AppError, PageError, PageResult};
use crate::pages::{Layout, Routes, render};

pub fn router() -> Routes {
    Routes::new()
        .route("/measures", get(list))
        .route("/measures/{number}", get(detail))
}

#[derive(Template)]
#[template(path = "measures/list.html")]
struct ListPage {
    layout: Layout,
    measures: Vec<MeasureView>,
}

#[derive(Template)]
#[template(path = "measures/detail.html")]
struct DetailPage {
    layout: Layout,
    m: MeasureView,
    work: Vec<&'static WorkLink>,
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
    let work = WORK.iter().filter(|w| w.measure == v.number).collect();
    render(&DetailPage {
        work,
        layout: Layout::new(
            &format!("第{}项 {}", v.number, v.title),
            "measures",
            caller.as_ref(),
        ),
        m: v,
    })
}
