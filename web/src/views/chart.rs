//! Bar charts drawn on the server as inline SVG (no chart JavaScript): one bar
//! per value, scaled to the largest, the value written above each bar and its
//! label below. The SVG carries a `<title>` and an `aria-label` with every
//! number, and the numbers are also written as text under it, so a screen
//! reader and a person without images read the same as the picture shows.

use maud::{Markup, html};

/// The drawing's size in SVG units (it scales to the width of its box).
const SLOT: f64 = 56.0;
const BAR: f64 = 36.0;
const TOP: f64 = 22.0;
const PLOT: f64 = 110.0;
const BOTTOM: f64 = 24.0;

/// Each value's bar height over `plot` units, the largest value filling it.
/// Zero, negative and non-finite values draw no bar; all-zero series draw none.
pub fn bar_heights(values: &[f64], plot: f64) -> Vec<f64> {
    let max = values.iter().copied().filter(|value| value.is_finite()).fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|value| if max > 0.0 && value.is_finite() && *value > 0.0 { value / max * plot } else { 0.0 })
        .collect()
}

/// A bar chart of `values` under `labels` (as many as values), each value
/// written with `format`. `title` names it for screen readers.
pub fn bar_chart(title: &str, labels: &[String], values: &[f64], format: &dyn Fn(f64) -> String) -> Markup {
    let count = labels.len().min(values.len());
    let (labels, values) = (&labels[..count], &values[..count]);
    let written: Vec<String> = values.iter().map(|value| format(*value)).collect();
    let heights = bar_heights(values, PLOT);
    let width = (SLOT * count.max(1) as f64).round();
    let height = TOP + PLOT + BOTTOM;
    let baseline = TOP + PLOT;
    let numbers =
        labels.iter().zip(&written).map(|(label, value)| format!("{label}: {value}")).collect::<Vec<_>>().join(", ");
    let described = if numbers.is_empty() { title.to_string() } else { format!("{title}. {numbers}") };
    html! {
        figure.chart {
            figcaption { (title) }
            svg.bar-chart xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(described)
                viewBox=(format!("0 0 {width} {height}")) width="100%" preserveAspectRatio="xMidYMid meet" {
                title { (described) }
                line x1="0" y1=(baseline) x2=(width) y2=(baseline) stroke="#6b7280" stroke-width="1" {}
                @for (index, ((label, value), bar)) in labels.iter().zip(&written).zip(&heights).enumerate() {
                    @let x = SLOT * index as f64 + (SLOT - BAR) / 2.0;
                    @let middle = SLOT * index as f64 + SLOT / 2.0;
                    g data-label=(label) data-height=(format!("{bar:.1}")) {
                        rect x=(x) y=(baseline - bar) width=(BAR) height=(format!("{bar:.1}")) fill="#0b6e4f" {}
                        text x=(middle) y=(baseline - bar - 6.0) text-anchor="middle" font-size="12" fill="#1c2321" { (value) }
                        text x=(middle) y=(baseline + 17.0) text-anchor="middle" font-size="12" fill="#4a5552" { (label) }
                    }
                }
            }
            @if !numbers.is_empty() { p.small.chart-numbers { (numbers) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn bars_are_proportional_to_the_largest_value() {
        let heights = bar_heights(&[1.0, 2.0, 4.0, 0.0], 100.0);
        assert_eq!(heights, vec![25.0, 50.0, 100.0, 0.0]);
    }

    #[test]
    fn zero_negative_and_empty_series_draw_no_bars_and_do_not_divide_by_zero() {
        assert_eq!(bar_heights(&[0.0, 0.0], 100.0), vec![0.0, 0.0]);
        assert_eq!(bar_heights(&[-3.0, 3.0, f64::NAN], 100.0), vec![0.0, 100.0, 0.0]);
        assert!(bar_heights(&[], 100.0).is_empty());
        let empty = bar_chart("Nada", &[], &[], &|value| value.to_string()).into_string();
        assert!(empty.contains("<svg") && empty.contains("aria-label=\"Nada\""), "{empty}");
        assert!(!empty.contains("<rect"), "{empty}");
        let zeros = bar_chart("Ceros", &labels(&["ene", "feb"]), &[0.0, 0.0], &|value| value.to_string()).into_string();
        assert_eq!(zeros.matches("data-height=\"0.0\"").count(), 2, "{zeros}");
        assert!(zeros.contains("ene: 0, feb: 0"), "{zeros}");
    }

    #[test]
    fn labels_values_and_a_description_for_screen_readers_are_present() {
        let chart = bar_chart("Autos nuevos", &labels(&["oct", "nov", "dic"]), &[2.0, 0.0, 4.0], &|value| {
            format!("{value} autos")
        })
        .into_string();
        for label in ["oct", "nov", "dic"] {
            assert!(chart.contains(&format!(">{label}</text>")), "{chart}");
        }
        assert!(chart.contains(">4 autos</text>"), "{chart}");
        assert!(chart.contains("<title>Autos nuevos. oct: 2 autos, nov: 0 autos, dic: 4 autos</title>"), "{chart}");
        assert!(chart.contains("role=\"img\""), "{chart}");
        assert!(chart.contains("data-label=\"dic\" data-height=\"110.0\""), "{chart}");
        assert!(chart.contains("data-label=\"oct\" data-height=\"55.0\""), "{chart}");
        // The numbers are written as text too.
        assert!(chart.contains("<p class=\"small chart-numbers\">oct: 2 autos"), "{chart}");
    }
}
