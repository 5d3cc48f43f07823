//! Every GraphQL operation the site and the panel send, typed by graphql_client
//! from `web/graphql/**.graphql` against the edge's schema: a contract change that
//! breaks a page fails the build here.
// Generated code: its names and shapes are graphql_client's.
#![allow(clippy::all, missing_docs)]

use graphql_client::GraphQLQuery;

/// Scalars of the schema, as the operations receive them.
pub type DateTime = String;
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

const SCHEMA: &str = "../edge-graphql/schema.graphql";

/// The schema file the operations are checked against (for tests and docs).
pub fn schema_path() -> &'static str {
    SCHEMA
}

// The buyer site.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/search.graphql",
    response_derives = "Debug, Clone",
    // Deserialize: the load test (`nds-bench load`) writes its searches as JSON.
    variables_derives = "Debug, Clone, Deserialize"
)]
pub struct SearchPage;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct ListingPage;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct RecordListingView;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct AddFavourite;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct RemoveFavourite;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct FavouriteIds;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone, Deserialize"
)]
pub struct SimilarCars;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/listing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct RetiredListing;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/sitemap.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct SitemapPage;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/sitemap.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct SitemapCursors;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct LogIn;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct SignUp;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct RefreshSession;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct SessionRoles;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct LogOut;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct AcceptInvitation;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/conversations.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct Inbox;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/conversations.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct Thread;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/conversations.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct StartConversation;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/conversations.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct SendMessage;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/conversations.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct MarkConversationRead;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/buyer.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct Favourites;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/buyer.graphql",
    response_derives = "Debug, Clone, Serialize",
    variables_derives = "Debug, Clone"
)]
pub struct SavedSearches;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/buyer.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone, Deserialize"
)]
pub struct SaveSearch;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/buyer.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct DeleteSavedSearch;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct RequestPasswordReset;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct ResetPassword;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/account.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct ChangePassword;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/onboarding.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct ApplyForAgency;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/payments.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct DepositListing;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/site/payments.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PayDeposit;

// The staff panel.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/applications.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct PanelApplications;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/applications.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelReviewApplication;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/photos.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelListingPhotos;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/photos.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelReservePhotoUploads;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/photos.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelReorderPhotos;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/photos.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelDeletePhoto;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/photos.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAgencyListings;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct PanelInventory;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct PanelListingEditor;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone, Deserialize"
)]
pub struct PanelCreateListing;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone, Deserialize"
)]
pub struct PanelUpdateListing;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelPublishListing;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelMarkListingSold;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/listings.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelArchiveListing;
// The panel's billing page (panel/billing.rs).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/billing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAgencyBilling;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/billing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelSubscribeAgency;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/billing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelStartPayoutOnboarding;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/billing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelPromoteListing;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/billing.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelPromote;
// The panel's lead inbox and one lead (panel/leads.rs, panel/lead.rs); replies and
// read markers use the site's SendMessage and MarkConversationRead.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/leads.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelLeads;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/leads.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelLead;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/leads.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAgencyStaff;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/leads.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAssignLead;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/leads.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelSetLeadStatus;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/leads.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelRecentUnreadLeads;
// The platform admins' people, agencies, suspensions and audit log (panel/admin_*.rs).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/admin.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelFindUsers;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/admin.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelSuspendUser;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/admin.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelGroups;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/admin.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAdminAgency;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/admin.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelSuspendAgency;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/admin.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAuditLog;
// An agency's staff and invitations (panel/staff.rs).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/staff.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelStaffPage;
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/staff.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelInviteStaff;
// The metrics page (panel/metrics.rs): 30 days and six months in one request.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/metrics.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelMetrics;
// One agency's numbers, for a group's agencies side by side (panel/group_agencies.rs).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../edge-graphql/schema.graphql",
    query_path = "graphql/panel/metrics.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PanelAgencyNumbers;
