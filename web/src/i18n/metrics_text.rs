//! The panel's metrics page: the last 30 days in numbers and the last six months
//! in bar charts, for the platform, a group or an agency.

pub struct MetricsText {
    pub nav: &'static str,
    pub title_platform: &'static str,
    pub title_group: &'static str,
    pub title_agency: &'static str,
    pub intro: &'static str,
    pub last_30_heading: &'static str,
    pub months_heading: &'static str,
    pub published_now: &'static str,
    pub new_listings: &'static str,
    pub views: &'static str,
    pub views_note: &'static str,
    pub leads: &'static str,
    pub answered: &'static str,
    pub first_response: &'static str,
    pub no_answers: &'static str,
    pub revenue: &'static str,
    /// A kind of charge in billing's ledger (`promotion`, `subscription`, `deposit`).
    pub revenue_kind: fn(&str) -> &'static str,
    pub chart_new_listings: &'static str,
    pub chart_leads: &'static str,
    pub chart_first_response: &'static str,
    pub chart_revenue: &'static str,
    /// A duration in seconds in minutes or hours: "12 min", "3 h 5 min".
    pub duration: fn(i64) -> String,
    pub side_by_side_heading: &'static str,
    /// Names the group whose agencies the table compares.
    pub side_by_side_intro: fn(&str) -> String,
    pub no_agencies: &'static str,
    pub column_agency: &'static str,
    pub column_links: &'static str,
    pub suspended: &'static str,
    pub inventory_link: &'static str,
    pub metrics_link: &'static str,
}

fn duration(seconds: i64, under_a_minute: &str) -> String {
    let minutes = (seconds.max(0) + 30) / 60;
    match (seconds, minutes) {
        (0, _) => "0 min".to_string(),
        (_, 0) => under_a_minute.to_string(),
        (_, minutes) if minutes < 60 => format!("{minutes} min"),
        (_, minutes) if minutes % 60 == 0 => format!("{} h", minutes / 60),
        (_, minutes) => format!("{} h {} min", minutes / 60, minutes % 60),
    }
}

pub const ES: MetricsText = MetricsText {
    nav: "Métricas",
    title_platform: "Métricas de la plataforma",
    title_group: "Métricas del grupo",
    title_agency: "Métricas de la agencia",
    intro: "Las cifras de los últimos 30 días y, en las gráficas, mes por mes.",
    last_30_heading: "Últimos 30 días",
    months_heading: "Últimos 6 meses",
    published_now: "Autos publicados ahora",
    new_listings: "Autos nuevos dados de alta",
    views: "Visitas a los autos",
    views_note: "Las visitas se cuentan desde que cada auto se publicó; todavía no se pueden ver por mes.",
    leads: "Conversaciones nuevas con compradores",
    answered: "Conversaciones respondidas",
    first_response: "Tiempo típico para la primera respuesta",
    no_answers: "Sin respuestas todavía",
    revenue: "Cobros",
    revenue_kind: |kind| match kind {
        "promotion" => "Promociones",
        "subscription" => "Suscripción por anuncio",
        "deposit" => "Anticipos de compradores",
        _ => "Otros cobros",
    },
    chart_new_listings: "Autos nuevos por mes",
    chart_leads: "Conversaciones nuevas por mes",
    chart_first_response: "Tiempo típico para la primera respuesta, por mes",
    chart_revenue: "Cobros por mes",
    duration: |seconds| duration(seconds, "menos de 1 min"),
    side_by_side_heading: "Agencias lado a lado",
    side_by_side_intro: |group| format!("Los últimos 30 días de cada agencia de {group}."),
    no_agencies: "Este grupo aún no tiene agencias.",
    column_agency: "Agencia",
    column_links: "Ver",
    suspended: "Suspendida",
    inventory_link: "Inventario",
    metrics_link: "Métricas",
};

pub const EN: MetricsText = MetricsText {
    nav: "Metrics",
    title_platform: "Platform metrics",
    title_group: "Group metrics",
    title_agency: "Dealership metrics",
    intro: "The numbers for the last 30 days and, in the charts, month by month.",
    last_30_heading: "Last 30 days",
    months_heading: "Last 6 months",
    published_now: "Cars listed now",
    new_listings: "New cars added",
    views: "Car page views",
    views_note: "Views are counted since each car was listed; they cannot be shown by month yet.",
    leads: "New conversations with buyers",
    answered: "Conversations answered",
    first_response: "Typical time to first reply",
    no_answers: "No replies yet",
    revenue: "Charges",
    revenue_kind: |kind| match kind {
        "promotion" => "Promotions",
        "subscription" => "Per-listing subscription",
        "deposit" => "Buyers' deposits",
        _ => "Other charges",
    },
    chart_new_listings: "New cars by month",
    chart_leads: "New conversations by month",
    chart_first_response: "Typical time to first reply, by month",
    chart_revenue: "Charges by month",
    duration: |seconds| duration(seconds, "under 1 min"),
    side_by_side_heading: "Agencies side by side",
    side_by_side_intro: |group| format!("The last 30 days of each agency of {group}."),
    no_agencies: "This group has no agencies yet.",
    column_agency: "Agency",
    column_links: "Open",
    suspended: "Suspended",
    inventory_link: "Inventory",
    metrics_link: "Metrics",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_minutes_and_hours() {
        assert_eq!((ES.duration)(0), "0 min");
        assert_eq!((ES.duration)(20), "menos de 1 min");
        assert_eq!((ES.duration)(12 * 60), "12 min");
        assert_eq!((ES.duration)(2 * 3600), "2 h");
        assert_eq!((EN.duration)(3 * 3600 + 5 * 60), "3 h 5 min");
    }
}
