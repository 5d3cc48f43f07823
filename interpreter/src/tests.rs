//! Unit tests of the rule families of the interpreter.

use super::rules::WORK;
use super::tokens::MAX_TOKENS;
use super::{FixedClock, Interpreter};
use chrono::NaiveDate;
use nds_common::vehicle::{BodyType, Condition, Fuel, SearchFilters, SearchSort, Transmission};
use std::sync::{Arc, LazyLock};

static RULES: LazyLock<Interpreter> = LazyLock::new(|| Interpreter::with_current_year(2026));

fn read(text: &str) -> SearchFilters {
    RULES.interpret(text, None)
}

fn read_es(text: &str) -> SearchFilters {
    RULES.interpret(text, Some("es-MX"))
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

#[test]
fn makes_aliases_and_models_imply_their_make() {
    let filters = read("vw jetta o chevy aveo");
    assert_eq!(filters.makes, strings(&["volkswagen", "chevrolet"]));
    assert_eq!(filters.models, strings(&["jetta", "aveo"]));
    assert_eq!(read("mustang").makes, strings(&["ford"]));
    assert_eq!(read("Mercedes GLC").makes, strings(&["mercedes-benz"]));
    assert_eq!(read("cr v").models, strings(&["cr-v"]));
    assert_eq!(read("F-150").models, strings(&["f-150"]));
}

#[test]
fn numeric_models_need_their_make_and_never_eat_years() {
    let filters = read("peugeot 2008 2021");
    assert_eq!(filters.models, strings(&["2008"]));
    assert_eq!((filters.year_min, filters.year_max), (Some(2021), Some(2021)));
    let year_only = read("2008");
    assert!(year_only.models.is_empty());
    assert_eq!(year_only.year_min, Some(2008));
}

#[test]
fn years_comparatives_follow_the_documented_semantics() {
    assert_eq!(read("newer than 2018").year_min, Some(2019));
    assert_eq!(read("2018 or newer").year_min, Some(2018));
    assert_eq!(read("older than 2010").year_max, Some(2009));
    assert_eq!(read("2010 or older").year_max, Some(2010));
    assert_eq!(read("2018+").year_min, Some(2018));
    let range = read_es("del 2018 al 2021");
    assert_eq!((range.year_min, range.year_max), (Some(2018), Some(2021)));
    let dash = read("2016-2019");
    assert_eq!((dash.year_min, dash.year_max), (Some(2016), Some(2019)));
    assert_eq!(read_es("antes de 2015").year_max, Some(2014));
    assert_eq!(read_es("2017 en adelante").year_min, Some(2017));
    // Next year is still a model year; the one after is a price.
    assert_eq!(read("2027").year_min, Some(2027));
    assert_eq!(read("2028").price_max, Some(202_800));
}

#[test]
fn money_is_read_as_written_and_stored_in_centavos() {
    assert_eq!(read("300k").price_max, Some(30_000_000));
    assert_eq!(read_es("300 mil pesos").price_max, Some(30_000_000));
    assert_eq!(read("$40,000").price_max, Some(4_000_000));
    assert_eq!(read("80 thousand").price_max, Some(8_000_000));
    assert_eq!(read_es("1.5 millones").price_max, Some(150_000_000));
    assert_eq!(read_es("1,5 millones").price_max, Some(150_000_000));
    assert_eq!(read_es("un millón y medio").price_max, Some(150_000_000));
    assert_eq!(read_es("más de 400 mil").price_min, Some(40_000_000));
    let between = read("between 200k and 300k");
    assert_eq!((between.price_min, between.price_max), (Some(20_000_000), Some(30_000_000)));
    let borrowed = read_es("entre 200 y 300 mil");
    assert_eq!((borrowed.price_min, borrowed.price_max), (Some(20_000_000), Some(30_000_000)));
}

#[test]
fn mileage_is_kilometres_and_zero_km_means_new() {
    assert_eq!(read("100k miles").mileage_max, Some(160_934));
    assert_eq!(read("under 50,000 km").mileage_max, Some(50_000));
    assert_eq!(read_es("menos de 80 mil kilómetros").mileage_max, Some(80_000));
    let new = read_es("0 km");
    assert_eq!(new.conditions, vec![Condition::New]);
    assert_eq!(new.mileage_max, None);
}

#[test]
fn small_bare_numbers_are_keywords_not_prices() {
    let filters = read_es("camioneta de 7 pasajeros");
    assert_eq!(filters.price_max, None);
    assert_eq!(filters.keywords, strings(&["7", "pasajeros"]));
}

#[test]
fn attributes_in_both_languages() {
    let filters = read_es("camionetas híbridas automáticas rojas seminuevas");
    assert_eq!(filters.body_types, vec![BodyType::Suv]);
    assert_eq!(filters.fuels, vec![Fuel::Hybrid]);
    assert_eq!(filters.transmissions, vec![Transmission::Automatic]);
    assert_eq!(filters.colors, strings(&["red"]));
    assert_eq!(filters.conditions, vec![Condition::Used]);
    assert_eq!(read_es("estándar").transmissions, vec![Transmission::Manual]);
    assert_eq!(read("plug-in hybrid").fuels, vec![Fuel::PlugInHybrid]);
    assert_eq!(read("grey").colors, strings(&["gray"]));
    assert_eq!(read_es("certificado").conditions, vec![Condition::Certified]);
}

#[test]
fn sort_intents_in_both_languages() {
    assert_eq!(read("cheapest").sort, Some(SearchSort::PriceAsc));
    assert_eq!(read_es("los más baratos").sort, Some(SearchSort::PriceAsc));
    assert_eq!(read("price high to low").sort, Some(SearchSort::PriceDesc));
    assert_eq!(read_es("menor kilometraje").sort, Some(SearchSort::MileageAsc));
    assert_eq!(read("lowest mileage").sort, Some(SearchSort::MileageAsc));
    assert_eq!(read_es("recién publicados").sort, Some(SearchSort::Newest));
    // A comparator is not a sort: "más barato que 300 mil" is a maximum.
    let cheaper = read_es("más barato que 300 mil");
    assert_eq!(cheaper.sort, None);
    assert_eq!(cheaper.price_max, Some(30_000_000));
}

#[test]
fn cities_with_and_without_accents() {
    assert_eq!(read("cdmx").city.as_deref(), Some("Ciudad de México"));
    assert_eq!(read_es("en el d.f.").city.as_deref(), Some("Ciudad de México"));
    assert_eq!(read("Querétaro").city.as_deref(), Some("Querétaro"));
    assert_eq!(read("queretaro").city.as_deref(), Some("Querétaro"));
    assert_eq!(read("mty").city.as_deref(), Some("Monterrey"));
}

#[test]
fn small_typos_in_makes_and_models_are_forgiven() {
    assert_eq!(read("toyta").makes, strings(&["toyota"]));
    assert_eq!(read("volkswagon").makes, strings(&["volkswagen"]));
    assert_eq!(read("corola").models, strings(&["corolla"]));
    // Short words get no edits, and listed ordinary words are never corrected.
    assert!(read("fird").makes.is_empty());
    assert!(read("audio").makes.is_empty());
    assert!(read_es("clima").city.is_none());
}

#[test]
fn ordinary_words_do_not_fire() {
    assert!(read("3rd row seat").makes.is_empty());
    assert!(read("16gb ram").makes.is_empty());
    assert_eq!(read("minivan").makes, Vec::<String>::new());
    assert_eq!(read("minivan").body_types, vec![BodyType::Minivan]);
    assert!(read("credit").colors.is_empty());
    assert!(read("golf clubs").models.is_empty());
    assert_eq!(read("golf 2015").models, strings(&["golf"]));
    assert_eq!(read("vw golf").models, strings(&["golf"]));
    assert!(read("electric windows").fuels.is_empty());
    assert!(read_es("clima automático").transmissions.is_empty());
    assert!(read("like new").conditions.is_empty());
    assert!(read_es("nuevo león").conditions.is_empty());
    assert!(read_es("red de agencias").colors.is_empty());
    assert_eq!(read("red toyota").colors, strings(&["red"]));
    assert!(read_es("me vino a la mente").colors.is_empty());
    assert_eq!(read_es("jeep color vino").colors, strings(&["burgundy"]));
    assert_eq!(read("seat ibiza").makes, strings(&["seat"]));
}

#[test]
fn leftover_words_become_keywords_without_stop_words() {
    let filters = read_es("busco un auto con quemacocos y asientos de piel");
    assert_eq!(filters.keywords, strings(&["quemacocos", "asientos", "piel"]));
    assert_eq!(read("I want a car please"), SearchFilters::default());
}

/// The work (phrase look-ups, edit-distance comparisons, comparator steps)
/// one interpretation of `text` costs on this thread.
fn work_of(text: &str) -> u64 {
    WORK.with(|work| work.set(0));
    read_es(text);
    WORK.with(std::cell::Cell::get)
}

#[test]
fn a_long_query_costs_no_more_than_its_first_tokens() {
    // A guard against an accidental blow-up on a long query, counted in work
    // rather than timed (timings are for the benchmark in
    // tests/src/bench/interpret.rs): past `MAX_TOKENS` nothing is read, and
    // what is read costs in proportion to its length (with slack for phrases
    // that run across sentences), not its square.
    let sentence = "toyota corolla rojo automatico 2018 menos de 300 mil en cdmx ";
    let long = sentence.repeat(40);
    let first_tokens = long.split_whitespace().take(MAX_TOKENS).collect::<Vec<_>>().join(" ");
    assert_eq!(work_of(&long), work_of(&first_tokens));
    let per_sentence = work_of(sentence);
    let sentences_read = MAX_TOKENS.div_ceil(sentence.split_whitespace().count()) as u64;
    assert!(per_sentence > 0);
    assert!(
        work_of(&long) <= 2 * per_sentence * sentences_read,
        "{} units of work for a long query, {per_sentence} for one sentence",
        work_of(&long)
    );
    assert_eq!(read_es(&long).makes, strings(&["toyota"]));
}

#[test]
fn typos_in_model_names_are_corrected_with_their_make_written() {
    // Ordinary-word models are corrected when their make is in the query...
    assert_eq!(read("nissan fronteir").models, strings(&["frontier"]));
    assert_eq!(read_es("chevrolet trakcer").models, strings(&["tracker"]));
    assert_eq!(read("honda pilto").models, strings(&["pilot"]));
    // ...and four-letter words get one edit there, as makes do from five.
    assert_eq!(read_es("nisan kiks").models, strings(&["kicks"]));
    assert_eq!(read("honda civc").models, strings(&["civic"]));
    // Without the make, an ordinary-word model is not guessed.
    let alone = read("fronteir");
    assert!(alone.models.is_empty());
    assert_eq!(alone.keywords, strings(&["fronteir"]));
}

#[test]
fn trim_and_drivetrain_words_never_become_another_model_or_make() {
    for (query, trim) in [
        ("bmw x5 xdrive", "xdrive"),
        ("bmw serie 3 sdrive", "sdrive"),
        ("audi a4 quattro", "quattro"),
        ("jetta gli", "gli"),
        ("vw golf gti", "gti"),
        ("mercedes gle amg", "amg"),
        ("tiguan 4motion", "4motion"),
        ("mercedes glc 4matic", "4matic"),
        ("nissan sentra nismo", "nismo"),
        ("gmc sierra denali", "denali"),
        ("jeep wrangler rubicon", "rubicon"),
        ("honda civic type r", "type r"),
    ] {
        let filters = read(query);
        assert_eq!(filters.makes.len(), 1, "{query}: {filters:?}");
        assert!(filters.models.len() <= 1, "{query}: {filters:?}");
        assert_eq!(filters.keywords, strings(&[trim]), "{query}: {filters:?}");
    }
    // Alone, too.
    assert_eq!(read("xdrive"), SearchFilters { keywords: strings(&["xdrive"]), ..SearchFilters::default() });
}

#[test]
fn relative_ages_count_back_from_the_clock() {
    // The shared interpreter's clock says 2026.
    assert_eq!(read_es("de menos de 5 años").year_min, Some(2022));
    assert_eq!(read_es("menos de 5 años").year_min, Some(2022));
    assert_eq!(read("less than 3 years old").year_min, Some(2024));
    assert_eq!(read_es("no más de 2 años").year_min, Some(2024));
    assert_eq!(read_es("no más de dos años de antigüedad").year_min, Some(2024));
    assert_eq!(read("no older than 5 years").year_min, Some(2021));
    assert_eq!(read("4 years old or less").year_min, Some(2022));
    assert_eq!(read_es("con más de 10 años").year_max, Some(2015));
    let range = read_es("de 2 a 4 años de uso");
    assert_eq!((range.year_min, range.year_max), (Some(2022), Some(2024)));
    // A bare age bounds nothing, and its words stay keywords.
    let bare = read_es("5 años");
    assert_eq!(bare.year_min, None);
    assert_eq!(bare.keywords, strings(&["5"]));
}

#[test]
fn relative_ages_follow_the_injected_clock() {
    // Another clock, another year: nothing reads the real date.
    let later = Interpreter::with_clock(Arc::new(FixedClock(NaiveDate::from_ymd_opt(2031, 1, 2).unwrap())));
    assert_eq!(later.interpret("menos de 5 años", Some("es")).year_min, Some(2027));
    assert_eq!(later.max_year(), 2032);
}

#[test]
fn sort_phrases_in_both_languages() {
    assert_eq!(read_es("ordenadas por precio").sort, Some(SearchSort::PriceAsc));
    assert_eq!(read_es("más baratos primero").sort, Some(SearchSort::PriceAsc));
    assert_eq!(read("sorted by price").sort, Some(SearchSort::PriceAsc));
    assert_eq!(read("cheapest first").sort, Some(SearchSort::PriceAsc));
    assert_eq!(read("newest first").sort, Some(SearchSort::YearDesc));
    assert_eq!(read_es("los más nuevos").sort, Some(SearchSort::YearDesc));
    assert_eq!(read_es("menor kilometraje").sort, Some(SearchSort::MileageAsc));
    assert_eq!(read("sorted by mileage").sort, Some(SearchSort::MileageAsc));
    assert_eq!(read_es("ordenar por año").sort, Some(SearchSort::YearDesc));
    // A direction turns "sorted by"; an explicit sort beats it.
    assert_eq!(read_es("ordenados por precio de mayor a menor").sort, Some(SearchSort::PriceDesc));
    assert_eq!(read("sorted by price high to low").sort, Some(SearchSort::PriceDesc));
    // A sort the search cannot do is no sort: oldest first.
    assert_eq!(read_es("ordenados por año de menor a mayor").sort, None);
    // The sort words never leak into keywords.
    assert!(read_es("sedanes ordenados por precio").keywords.is_empty());
}
