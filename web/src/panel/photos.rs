//! A listing's photos in the panel: the gallery as the agency's staff see it
//! (processing and refused photos included, with the reason), uploading several
//! files at once, choosing the cover, reordering and deleting.
//!
//! Uploads post the files here as a multipart form, and the panel sends each to an
//! upload URL the edge hands out (catalog's media route; the bytes never go
//! through GraphQL). That works with JavaScript off; with it on, `site.js` sends
//! one file per request and shows each file's progress, and files can be dropped
//! on the form. Tenant rules stay in the services: another agency's listing is the
//! API's NOT_FOUND or FORBIDDEN, rendered as those pages.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::edge::operations::{
    self, panel_delete_photo, panel_listing_photos, panel_reorder_photos, panel_reserve_photo_uploads,
};
use crate::edge::{EdgeError, PhotoUploadOutcome};
use crate::error::PageError;
use crate::names::car_name;
use crate::posted::Posted;
use crate::session::{cookies, csrf};
use crate::state::SharedState;
use crate::views::components::{PhotoView, responsive_photo};
use crate::views::form::csrf_field;
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Files one form may carry: a listing's places (catalog refuses beyond them).
pub const MAX_FILES_PER_FORM: usize = 30;
/// The largest photo the media route takes (its `maxBytes`), for the hint and the body limit.
pub const MAX_PHOTO_MEGABYTES: u64 = 15;
/// A form of 30 photos of 15 MB each, plus its fields.
pub const MAX_UPLOAD_FORM_BYTES: usize = MAX_FILES_PER_FORM * (MAX_PHOTO_MEGABYTES as usize) * 1024 * 1024 + 64 * 1024;
const THUMBNAIL_SIZES: &str = "(min-width: 960px) 240px, 45vw";

type Listing = panel_listing_photos::PanelListingPhotosListing;
type Photo = panel_listing_photos::PanelListingPhotosListingGallery;

fn photos_path(id: &str) -> String {
    format!("/listings/{id}/photos")
}

#[derive(serde::Deserialize, Default)]
pub struct PhotosQuery {
    /// How many files the last upload sent.
    uploaded: Option<usize>,
}

/// What the last upload came to, shown above the gallery.
#[derive(Default)]
struct UploadReport {
    uploaded: usize,
    /// (file name, translated reason).
    refused: Vec<(String, String)>,
}

async fn load(state: &SharedState, visitor: &Visitor, id: &str) -> Result<Listing, PageError> {
    visitor.require_session()?;
    let variables = panel_listing_photos::Variables { id: id.to_string() };
    let response = state.edge.run::<operations::PanelListingPhotos>(visitor.caller(), variables).await?;
    // A published car reads for anyone; its photos are worked on as in the editor.
    let listing = response.listing.ok_or(PageError::NotFound)?;
    super::require_works_on(visitor, &listing.agency.id, &listing.agency.group_id)?;
    Ok(listing)
}

pub async fn photos_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<PhotosQuery>,
) -> Result<Response, PageError> {
    let listing = load(&state, &visitor, &id).await?;
    let report = UploadReport { uploaded: query.uploaded.unwrap_or_default(), refused: Vec::new() };
    Ok(render(&state, &visitor, &listing, &report, StatusCode::OK))
}

fn status_badge(visitor: &Visitor, photo: &Photo) -> &'static str {
    let wire = crate::edge::wire_name(&photo.status);
    (visitor.text().panel.photos.status)(&wire)
}

fn render(
    state: &SharedState,
    visitor: &Visitor,
    listing: &Listing,
    report: &UploadReport,
    code: StatusCode,
) -> Response {
    let text = &visitor.text().panel.photos;
    let car = format!("{} {}", car_name(&listing.make, &listing.model), listing.year);
    let path = photos_path(&listing.id);
    let order: Vec<&str> = listing.gallery.iter().map(|photo| photo.id.as_str()).collect();
    let content = html! {
        h1 { ((text.title)(&car)) }
        p { (text.intro) }
        @if report.uploaded > 0 {
            p.notice.notice-success role="status" { ((text.uploaded)(report.uploaded)) }
        }
        @if !report.refused.is_empty() {
            div.notice.notice-error role="alert" {
                ul { @for (name, why) in &report.refused { li { ((text.refused_file)(name, why)) } } }
            }
        }
        form.photo-upload method="post" action=(path) enctype="multipart/form-data" data-photo-upload {
            (csrf_field(&visitor.csrf))
            label for="photo-files" { (text.choose) }
            p.hint id="photo-files-hint" { ((text.choose_hint)(MAX_PHOTO_MEGABYTES)) " " span.drop-hint { (text.drop_here) } }
            input #photo-files type="file" name="photos" multiple accept="image/jpeg,image/png,image/webp"
                aria-describedby="photo-files-hint";
            ol.upload-progress aria-live="polite" {}
            button type="submit" data-busy-label=(text.uploading) { (text.upload) }
        }
        @if listing.gallery.is_empty() {
            p { (text.none_yet) }
        }
        ol.photo-grid {
            @for (index, photo) in listing.gallery.iter().enumerate() {
                (photo_item(visitor, listing, photo, index, &order))
            }
        }
        p { a href=(format!("{}/autos/{}", state.settings.public_url, listing.id)) { (text.back_to_listing) } }
    };
    let mut page = Page::new((text.title)(&car), content).status(code);
    page.indexable = false;
    page.header_search = false;
    views::render(state, visitor, page)
}

/// The order with `id` moved to `to` (0 = the cover).
fn moved(order: &[&str], id: &str, to: usize) -> String {
    let mut ids: Vec<&str> = order.iter().copied().filter(|candidate| *candidate != id).collect();
    ids.insert(to.min(ids.len()), id);
    ids.join(",")
}

fn photo_item(visitor: &Visitor, listing: &Listing, photo: &Photo, index: usize, order: &[&str]) -> Markup {
    let text = &visitor.text().panel.photos;
    let path = photos_path(&listing.id);
    let is_ready = matches!(photo.status, panel_listing_photos::PhotoStatus::READY);
    let view = PhotoView {
        src: photo.src.clone().unwrap_or_default(),
        srcset_webp: photo.srcset_webp.clone(),
        srcset_jpeg: photo.srcset_jpeg.clone(),
        width: photo.width.max(1),
        height: photo.height.max(1),
    };
    let reorder = |label: &'static str, to: usize| {
        html! {
            form method="post" action=(format!("{path}/order")) {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="order" value=(moved(order, &photo.id, to));
                button.secondary type="submit" { (label) }
            }
        }
    };
    html! {
        li.photo id=(format!("photo-{}", photo.id)) {
            div.photo-frame {
                @if is_ready {
                    (responsive_photo(&view, &(text.photo_alt)(index + 1), THUMBNAIL_SIZES, index < 4))
                } @else {
                    div.empty {}
                }
            }
            p {
                span.badge { (status_badge(visitor, photo)) }
                @if photo.is_cover { " " span.badge.badge-cover { (text.cover) } }
            }
            @if let Some(reason) = &photo.failure_reason { p.small.field-error { (reason) } }
            div.actions {
                @if is_ready && !photo.is_cover { (reorder(text.make_cover, 0)) }
                @if index > 0 { (reorder(text.move_earlier, index - 1)) }
                @if index + 1 < order.len() { (reorder(text.move_later, index + 1)) }
                details {
                    summary { (text.delete) "…" }
                    form method="post" action=(format!("{path}/{}/delete", photo.id)) {
                        (csrf_field(&visitor.csrf))
                        p.small { (text.delete_confirm) }
                        button.danger type="submit" { (text.delete) }
                    }
                }
            }
        }
    }
}

/// One file of the form, as the browser sent it.
struct UploadedFile {
    name: String,
    content_type: String,
    bytes: bytes::Bytes,
}

/// Reads the form: the CSRF token first (the form puts it first), then the files.
async fn read_upload_form(headers: &HeaderMap, mut form: Multipart) -> Result<Vec<UploadedFile>, PageError> {
    let mut token = String::new();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|_| PageError::BadRequest)? {
        match field.name() {
            Some("csrf") => token = field.text().await.map_err(|_| PageError::BadRequest)?,
            Some("photos") => {
                let host = headers.get(header::HOST).and_then(|value| value.to_str().ok());
                if !csrf::accepts(headers, cookies::read(headers, cookies::CSRF), &token, host) {
                    return Err(PageError::ExpiredForm);
                }
                let name = field.file_name().unwrap_or("foto").to_string();
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                let bytes = field.bytes().await.map_err(|_| PageError::BadRequest)?;
                // A file input left empty still sends one nameless, empty part.
                if name.is_empty() && bytes.is_empty() {
                    continue;
                }
                if files.len() == MAX_FILES_PER_FORM {
                    return Err(PageError::BadRequest);
                }
                files.push(UploadedFile { name, content_type, bytes });
            }
            _ => {}
        }
    }
    if token.is_empty() {
        return Err(PageError::ExpiredForm);
    }
    Ok(files)
}

pub async fn upload(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Multipart,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let files = read_upload_form(&headers, form).await?;
    let text = &visitor.text().panel.photos;
    let mut report = UploadReport::default();
    if !files.is_empty() {
        let count = i64::try_from(files.len()).unwrap_or(i64::MAX);
        let variables = panel_reserve_photo_uploads::Variables { id: id.clone(), count };
        let reserved = match state.edge.run::<operations::PanelReservePhotoUploads>(visitor.caller(), variables).await {
            Ok(reserved) => reserved.reserve_photo_uploads.uploads,
            // Too many for the places left, or a listing that can no longer change.
            Err(error @ EdgeError::Api(_))
                if matches!(error.code(), nds_common::ErrorCode::BadUserInput | nds_common::ErrorCode::Conflict) =>
            {
                let why = (text.refusal)("CONFLICT");
                report.refused = files.iter().map(|file| (file.name.clone(), why.to_string())).collect();
                let listing = load(&state, &visitor, &id).await?;
                return Ok(render(&state, &visitor, &listing, &report, StatusCode::UNPROCESSABLE_ENTITY));
            }
            Err(error) => return Err(error.into()),
        };
        for (file, upload) in files.into_iter().zip(reserved) {
            match state.edge.upload_photo(&upload.url, &file.content_type, file.bytes).await? {
                PhotoUploadOutcome::Accepted => report.uploaded += 1,
                PhotoUploadOutcome::Refused { code } => {
                    report.refused.push((file.name, (text.refusal)(&code).to_string()))
                }
            }
        }
    }
    if report.refused.is_empty() {
        // Post/redirect/get: a reload does not send the files again.
        return Ok(Redirect::to(&format!("{}?uploaded={}", photos_path(&id), report.uploaded)).into_response());
    }
    let listing = load(&state, &visitor, &id).await?;
    Ok(render(&state, &visitor, &listing, &report, StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(serde::Deserialize, Default)]
pub struct OrderForm {
    #[serde(default)]
    order: String,
}

pub async fn reorder(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(form): Posted<OrderForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let order: Vec<String> = form.order.split(',').filter(|id| !id.is_empty()).map(str::to_string).collect();
    let variables = panel_reorder_photos::Variables { id: id.clone(), order };
    state.edge.run::<operations::PanelReorderPhotos>(visitor.caller(), variables).await?;
    Ok(Redirect::to(&photos_path(&id)).into_response())
}

pub async fn delete(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path((id, photo)): Path<(String, String)>,
    Posted(_form): Posted<OrderForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let variables = panel_delete_photo::Variables { id: id.clone(), photo };
    state.edge.run::<operations::PanelDeletePhoto>(visitor.caller(), variables).await?;
    Ok(Redirect::to(&photos_path(&id)).into_response())
}
