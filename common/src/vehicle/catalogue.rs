//! Makes, models and colours sold in Mexico, with their aliases.
//!
//! Canonical names are lower-case ASCII with hyphens where the maker writes
//! one ("mercedes-benz", "cr-v", "f-150"). Lookups compare [`compact_key`]s,
//! so "CR V", "crv" and "Cr-V" all find "cr-v" without listing each spelling;
//! `aliases` only hold genuinely different names ("vw", "chevy", "vocho").

use super::text::compact_key;
use std::collections::HashMap;
use std::sync::LazyLock;

/// One model of a make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelInfo {
    /// Canonical lower-case name, e.g. "cr-v".
    pub name: &'static str,
    /// Other names buyers use for the same model.
    pub aliases: &'static [&'static str],
}

/// One make with its models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MakeInfo {
    /// Canonical lower-case name, e.g. "mercedes-benz".
    pub name: &'static str,
    /// Other names buyers use for the make.
    pub aliases: &'static [&'static str],
    pub models: &'static [ModelInfo],
}

/// One canonical colour and the Spanish and English words for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorInfo {
    /// Canonical lower-case English name, e.g. "gray".
    pub name: &'static str,
    /// Every accepted spelling (folded, without accents), including `name`.
    pub names: &'static [&'static str],
}

const fn model(name: &'static str, aliases: &'static [&'static str]) -> ModelInfo {
    ModelInfo { name, aliases }
}

const fn make(name: &'static str, aliases: &'static [&'static str], models: &'static [ModelInfo]) -> MakeInfo {
    MakeInfo { name, aliases, models }
}

/// Every make sold in Mexico that the marketplace knows, with its common models.
pub static MAKES: &[MakeInfo] = &[
    make(
        "nissan",
        &[],
        &[
            model("versa", &[]),
            model("sentra", &[]),
            model("march", &[]),
            model("tsuru", &[]),
            model("altima", &[]),
            model("maxima", &[]),
            model("kicks", &[]),
            model("x-trail", &["xtrail"]),
            model("murano", &[]),
            model("pathfinder", &[]),
            model("frontier", &[]),
            model("np300", &[]),
            model("note", &[]),
            model("leaf", &[]),
            model("juke", &[]),
            model("urvan", &[]),
            model("ariya", &[]),
            model("magnite", &[]),
            model("v-drive", &[]),
        ],
    ),
    make(
        "volkswagen",
        &["vw", "volks", "volkswagon"],
        &[
            model("jetta", &[]),
            model("vento", &[]),
            model("virtus", &[]),
            model("polo", &[]),
            model("golf", &[]),
            model("gol", &[]),
            model("tiguan", &[]),
            model("taos", &[]),
            model("t-cross", &[]),
            model("teramont", &[]),
            model("amarok", &[]),
            model("saveiro", &[]),
            model("nivus", &[]),
            model("passat", &[]),
            model("beetle", &["vocho", "escarabajo"]),
            model("crafter", &[]),
            model("transporter", &[]),
            model("up", &[]),
        ],
    ),
    make(
        "chevrolet",
        &["chevy", "chev"],
        &[
            model("aveo", &[]),
            model("onix", &[]),
            model("cavalier", &[]),
            model("spark", &[]),
            model("beat", &[]),
            model("sonic", &[]),
            model("trax", &[]),
            model("tracker", &[]),
            model("equinox", &[]),
            model("blazer", &[]),
            model("traverse", &[]),
            model("tahoe", &[]),
            model("suburban", &[]),
            model("silverado", &[]),
            model("colorado", &[]),
            model("cheyenne", &[]),
            model("s10", &[]),
            model("captiva", &[]),
            model("groove", &[]),
            model("camaro", &[]),
            model("corvette", &[]),
            model("malibu", &[]),
            model("tornado", &[]),
            model("express", &[]),
        ],
    ),
    make(
        "toyota",
        &[],
        &[
            model("corolla", &[]),
            model("corolla cross", &[]),
            model("camry", &[]),
            model("yaris", &[]),
            model("prius", &[]),
            model("rav4", &[]),
            model("highlander", &[]),
            model("sienna", &[]),
            model("tacoma", &[]),
            model("tundra", &[]),
            model("hilux", &[]),
            model("avanza", &[]),
            model("raize", &[]),
            model("c-hr", &[]),
            model("sequoia", &[]),
            model("land cruiser", &[]),
            model("supra", &[]),
            model("gr86", &[]),
            model("hiace", &[]),
            model("4runner", &[]),
        ],
    ),
    make(
        "honda",
        &[],
        &[
            model("civic", &[]),
            model("accord", &[]),
            model("city", &[]),
            model("fit", &[]),
            model("hr-v", &[]),
            model("cr-v", &[]),
            model("br-v", &[]),
            model("pilot", &[]),
            model("odyssey", &[]),
            model("passport", &[]),
        ],
    ),
    make(
        "mazda",
        &[],
        &[
            model("mazda2", &["mazda 2"]),
            model("mazda3", &["mazda 3"]),
            model("mazda6", &["mazda 6"]),
            model("cx-3", &[]),
            model("cx-30", &[]),
            model("cx-5", &[]),
            model("cx-50", &[]),
            model("cx-9", &[]),
            model("cx-90", &[]),
            model("mx-5", &["miata"]),
            model("bt-50", &[]),
        ],
    ),
    make(
        "kia",
        &[],
        &[
            model("rio", &[]),
            model("forte", &[]),
            model("k3", &[]),
            model("soul", &[]),
            model("seltos", &[]),
            model("sportage", &[]),
            model("sorento", &[]),
            model("sonet", &[]),
            model("niro", &[]),
            model("telluride", &[]),
            model("carnival", &[]),
            model("ev6", &[]),
        ],
    ),
    make(
        "hyundai",
        &["hundai", "hiundai", "hyunday"],
        &[
            model("grand i10", &[]),
            model("i10", &[]),
            model("accent", &[]),
            model("elantra", &[]),
            model("tucson", &[]),
            model("creta", &[]),
            model("kona", &[]),
            model("santa fe", &[]),
            model("palisade", &[]),
            model("sonata", &[]),
            model("ioniq 5", &[]),
            model("hb20", &[]),
        ],
    ),
    make(
        "ford",
        &[],
        &[
            model("figo", &[]),
            model("fiesta", &[]),
            model("focus", &[]),
            model("fusion", &[]),
            model("mustang", &[]),
            model("mustang mach-e", &["mach-e"]),
            model("escape", &[]),
            model("edge", &[]),
            model("explorer", &[]),
            model("expedition", &[]),
            model("ranger", &[]),
            model("f-150", &[]),
            model("lobo", &[]),
            model("bronco", &[]),
            model("maverick", &[]),
            model("territory", &[]),
            model("transit", &[]),
            model("ecosport", &[]),
        ],
    ),
    make(
        "renault",
        &[],
        &[
            model("kwid", &[]),
            model("duster", &[]),
            model("stepway", &[]),
            model("logan", &[]),
            model("sandero", &[]),
            model("koleos", &[]),
            model("captur", &[]),
            model("oroch", &[]),
            model("kangoo", &[]),
            model("arkana", &[]),
        ],
    ),
    make(
        "seat",
        &[],
        &[
            model("ibiza", &[]),
            model("leon", &[]),
            model("arona", &[]),
            model("ateca", &[]),
            model("tarraco", &[]),
            model("toledo", &[]),
        ],
    ),
    make("cupra", &[], &[model("formentor", &[]), model("born", &[])]),
    make(
        "suzuki",
        &[],
        &[
            model("swift", &[]),
            model("ignis", &[]),
            model("vitara", &[]),
            model("s-cross", &[]),
            model("jimny", &[]),
            model("ertiga", &[]),
            model("ciaz", &[]),
            model("baleno", &[]),
            model("dzire", &[]),
        ],
    ),
    make(
        "mg",
        &[],
        &[
            model("mg5", &[]),
            model("mg3", &[]),
            model("zs", &[]),
            model("hs", &[]),
            model("rx5", &[]),
            model("rx8", &[]),
            model("gt", &[]),
            model("one", &[]),
            model("mg4", &[]),
        ],
    ),
    make(
        "bmw",
        &[],
        &[
            model("serie 1", &["series 1", "1 series"]),
            model("serie 2", &["series 2", "2 series"]),
            model("serie 3", &["series 3", "3 series"]),
            model("serie 4", &["series 4", "4 series"]),
            model("serie 5", &["series 5", "5 series"]),
            model("serie 7", &["series 7", "7 series"]),
            model("x1", &[]),
            model("x2", &[]),
            model("x3", &[]),
            model("x4", &[]),
            model("x5", &[]),
            model("x6", &[]),
            model("x7", &[]),
            model("z4", &[]),
            model("i4", &[]),
            model("ix", &[]),
            model("m3", &[]),
            model("m4", &[]),
        ],
    ),
    make(
        "mercedes-benz",
        &["mercedes", "benz", "mercedez"],
        &[
            model("clase a", &["a-class", "a class"]),
            model("clase c", &["c-class", "c class"]),
            model("clase e", &["e-class", "e class"]),
            model("clase s", &["s-class", "s class"]),
            model("cla", &[]),
            model("gla", &[]),
            model("glb", &[]),
            model("glc", &[]),
            model("gle", &[]),
            model("gls", &[]),
            model("sprinter", &[]),
        ],
    ),
    make(
        "audi",
        &[],
        &[
            model("a1", &[]),
            model("a3", &[]),
            model("a4", &[]),
            model("a5", &[]),
            model("a6", &[]),
            model("a7", &[]),
            model("a8", &[]),
            model("q2", &[]),
            model("q3", &[]),
            model("q5", &[]),
            model("q7", &[]),
            model("q8", &[]),
            model("e-tron", &["etron"]),
            model("tt", &[]),
            model("r8", &[]),
        ],
    ),
    make(
        "jeep",
        &[],
        &[
            model("wrangler", &[]),
            model("cherokee", &[]),
            model("grand cherokee", &[]),
            model("compass", &[]),
            model("renegade", &[]),
            model("gladiator", &[]),
            model("commander", &[]),
            model("patriot", &[]),
        ],
    ),
    make(
        "ram",
        &[],
        &[model("700", &[]), model("1500", &[]), model("2500", &[]), model("4000", &[]), model("promaster", &[])],
    ),
    make(
        "dodge",
        &[],
        &[
            model("attitude", &[]),
            model("journey", &[]),
            model("durango", &[]),
            model("charger", &[]),
            model("challenger", &[]),
            model("neon", &[]),
            model("dart", &[]),
        ],
    ),
    make("chrysler", &[], &[model("pacifica", &[]), model("300", &[])]),
    make(
        "mitsubishi",
        &[],
        &[
            model("l200", &[]),
            model("mirage", &[]),
            model("outlander", &[]),
            model("eclipse cross", &[]),
            model("montero", &[]),
            model("xpander", &[]),
            model("lancer", &[]),
        ],
    ),
    make(
        "peugeot",
        &[],
        &[
            model("208", &[]),
            model("2008", &[]),
            model("3008", &[]),
            model("5008", &[]),
            model("301", &[]),
            model("partner", &[]),
            model("rifter", &[]),
            model("expert", &[]),
            model("manager", &[]),
        ],
    ),
    make(
        "chirey",
        &["chery"],
        &[
            model("tiggo 2", &[]),
            model("tiggo 4", &[]),
            model("tiggo 7", &[]),
            model("tiggo 8", &[]),
            model("arrizo 5", &[]),
            model("omoda 5", &[]),
        ],
    ),
    make(
        "byd",
        &[],
        &[
            model("dolphin", &[]),
            model("dolphin mini", &[]),
            model("seal", &[]),
            model("song plus", &[]),
            model("song pro", &[]),
            model("tang", &[]),
            model("han", &[]),
            model("yuan plus", &[]),
            model("shark", &[]),
        ],
    ),
    make(
        "tesla",
        &[],
        &[
            model("model 3", &[]),
            model("model y", &[]),
            model("model s", &[]),
            model("model x", &[]),
            model("cybertruck", &[]),
        ],
    ),
    make(
        "volvo",
        &[],
        &[
            model("xc40", &[]),
            model("xc60", &[]),
            model("xc90", &[]),
            model("s60", &[]),
            model("ex30", &[]),
            model("c40", &[]),
        ],
    ),
    make(
        "subaru",
        &[],
        &[
            model("impreza", &[]),
            model("xv", &[]),
            model("crosstrek", &[]),
            model("forester", &[]),
            model("outback", &[]),
            model("wrx", &[]),
            model("brz", &[]),
        ],
    ),
    make(
        "gmc",
        &[],
        &[
            model("sierra", &[]),
            model("acadia", &[]),
            model("yukon", &[]),
            model("terrain", &[]),
            model("canyon", &[]),
            model("savana", &[]),
        ],
    ),
    make("buick", &[], &[model("encore", &[]), model("envision", &[]), model("enclave", &[])]),
    make(
        "cadillac",
        &[],
        &[
            model("escalade", &[]),
            model("xt4", &[]),
            model("xt5", &[]),
            model("xt6", &[]),
            model("ct4", &[]),
            model("ct5", &[]),
            model("lyriq", &[]),
        ],
    ),
    make(
        "lincoln",
        &[],
        &[
            model("navigator", &[]),
            model("aviator", &[]),
            model("nautilus", &[]),
            model("corsair", &[]),
            model("mkz", &[]),
        ],
    ),
    make(
        "porsche",
        &[],
        &[
            model("911", &[]),
            model("cayenne", &[]),
            model("macan", &[]),
            model("panamera", &[]),
            model("taycan", &[]),
            model("718", &["cayman", "boxster"]),
        ],
    ),
    make(
        "fiat",
        &[],
        &[
            model("500", &[]),
            model("uno", &[]),
            model("mobi", &[]),
            model("pulse", &[]),
            model("argo", &[]),
            model("fastback", &[]),
            model("strada", &[]),
            model("ducato", &[]),
        ],
    ),
    make("mini", &[], &[model("cooper", &[]), model("countryman", &[])]),
    make("acura", &[], &[model("mdx", &[]), model("rdx", &[])]),
    make("infiniti", &[], &[model("qx50", &[]), model("qx60", &[])]),
    make(
        "land rover",
        &["landrover"],
        &[model("range rover", &[]), model("defender", &[]), model("discovery", &[]), model("evoque", &[])],
    ),
    make("jac", &[], &[model("sei2", &[]), model("sei4", &[]), model("e10x", &[])]),
    make("changan", &[], &[model("cs35", &[]), model("cs55", &[])]),
];

/// The canonical colours and their Spanish and English names.
pub static COLORS: &[ColorInfo] = &[
    ColorInfo { name: "white", names: &["white", "blanco", "blanca", "blancos", "blancas"] },
    ColorInfo { name: "black", names: &["black", "negro", "negra", "negros", "negras"] },
    ColorInfo { name: "gray", names: &["gray", "grey", "gris", "grises", "grafito", "graphite"] },
    ColorInfo { name: "silver", names: &["silver", "plata", "plateado", "plateada", "plateados"] },
    ColorInfo { name: "red", names: &["red", "rojo", "roja", "rojos", "rojas"] },
    ColorInfo { name: "blue", names: &["blue", "azul", "azules", "navy", "marino"] },
    ColorInfo { name: "green", names: &["green", "verde", "verdes"] },
    ColorInfo { name: "yellow", names: &["yellow", "amarillo", "amarilla", "amarillos"] },
    ColorInfo { name: "orange", names: &["orange", "naranja", "anaranjado", "anaranjada"] },
    ColorInfo { name: "brown", names: &["brown", "cafe", "marron", "chocolate"] },
    ColorInfo { name: "beige", names: &["beige", "beis", "arena", "champagne", "champan", "tan"] },
    ColorInfo { name: "gold", names: &["gold", "dorado", "dorada", "oro"] },
    ColorInfo { name: "purple", names: &["purple", "morado", "morada", "violeta", "purpura"] },
    ColorInfo { name: "burgundy", names: &["burgundy", "maroon", "vino", "guinda", "tinto"] },
    ColorInfo { name: "pink", names: &["pink", "rosa", "rosado", "rosada"] },
];

struct CatalogueIndex {
    makes: HashMap<String, &'static MakeInfo>,
    /// compact model key → every (make, model) that answers to it.
    models: HashMap<String, Vec<(&'static str, &'static str)>>,
    colors: HashMap<String, &'static str>,
}

static INDEX: LazyLock<CatalogueIndex> = LazyLock::new(|| {
    let mut makes = HashMap::new();
    let mut models: HashMap<String, Vec<(&'static str, &'static str)>> = HashMap::new();
    for make_info in MAKES {
        for name in std::iter::once(&make_info.name).chain(make_info.aliases) {
            makes.insert(compact_key(name), make_info);
        }
        for model_info in make_info.models {
            for name in std::iter::once(&model_info.name).chain(model_info.aliases) {
                let owners = models.entry(compact_key(name)).or_default();
                if !owners.contains(&(make_info.name, model_info.name)) {
                    owners.push((make_info.name, model_info.name));
                }
            }
        }
    }
    let mut colors = HashMap::new();
    for color in COLORS {
        for name in color.names {
            colors.insert(compact_key(name), color.name);
        }
    }
    CatalogueIndex { makes, models, colors }
});

/// Every canonical make name.
pub fn makes() -> impl Iterator<Item = &'static str> {
    MAKES.iter().map(|make_info| make_info.name)
}

/// The canonical models of a make (given by canonical name or alias); empty
/// for an unknown make.
pub fn models_of(make_name: &str) -> impl Iterator<Item = &'static str> {
    let models: &'static [ModelInfo] =
        INDEX.makes.get(&compact_key(make_name)).map_or(&[], |make_info| make_info.models);
    models.iter().map(|model_info| model_info.name)
}

/// The canonical make for a name or alias: `"VW"` → `"volkswagen"`,
/// `"Mercedes Benz"` → `"mercedes-benz"`.
pub fn canonical_make(name: &str) -> Option<&'static str> {
    INDEX.makes.get(&compact_key(name)).map(|make_info| make_info.name)
}

/// The canonical (make, model) for a model name or alias. With a make, only
/// that make's models are considered; without one, the model must belong to
/// exactly one make (a name several makes use is ambiguous and gives `None`).
pub fn canonical_model(make_name: Option<&str>, model_name: &str) -> Option<(&'static str, &'static str)> {
    let owners = INDEX.models.get(&compact_key(model_name))?;
    match make_name {
        Some(make_name) => {
            let wanted = canonical_make(make_name)?;
            owners.iter().copied().find(|(owner, _)| *owner == wanted)
        }
        None => match owners.as_slice() {
            [only] => Some(*only),
            _ => None,
        },
    }
}

/// The canonical English colour for a Spanish or English name:
/// `"Roja"` → `"red"`, `"grey"` → `"gray"`, `"plata"` → `"silver"`.
pub fn canonical_color(name: &str) -> Option<&'static str> {
    INDEX.colors.get(&compact_key(name)).copied()
}

/// Every canonical colour name.
pub fn colors() -> impl Iterator<Item = &'static str> {
    COLORS.iter().map(|color| color.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn make_aliases_resolve() {
        assert_eq!(canonical_make("VW"), Some("volkswagen"));
        assert_eq!(canonical_make("chevy"), Some("chevrolet"));
        assert_eq!(canonical_make("Mercedes"), Some("mercedes-benz"));
        assert_eq!(canonical_make("benz"), Some("mercedes-benz"));
        assert_eq!(canonical_make("Mercedes Benz"), Some("mercedes-benz"));
        assert_eq!(canonical_make("Chirey"), Some("chirey"));
        assert_eq!(canonical_make("tatra"), None);
        assert_eq!(canonical_make(""), None);
    }

    #[test]
    fn models_resolve_with_and_without_make() {
        assert_eq!(canonical_model(None, "crv"), Some(("honda", "cr-v")));
        assert_eq!(canonical_model(None, "CR V"), Some(("honda", "cr-v")));
        assert_eq!(canonical_model(None, "F150"), Some(("ford", "f-150")));
        assert_eq!(canonical_model(None, "mustang"), Some(("ford", "mustang")));
        assert_eq!(canonical_model(Some("vw"), "Vocho"), Some(("volkswagen", "beetle")));
        assert_eq!(canonical_model(Some("toyota"), "mustang"), None);
        assert_eq!(canonical_model(Some("ram"), "1500"), Some(("ram", "1500")));
        assert_eq!(canonical_model(None, "unknown"), None);
    }

    #[test]
    fn canonical_names_are_unique_lowercase_and_ascii() {
        let mut seen_makes = HashSet::new();
        for make_info in MAKES {
            assert!(seen_makes.insert(make_info.name), "{}", make_info.name);
            assert_eq!(make_info.name, make_info.name.to_ascii_lowercase());
            assert_eq!(canonical_make(make_info.name), Some(make_info.name));
            let mut seen_models = HashSet::new();
            for model_info in make_info.models {
                assert!(seen_models.insert(model_info.name), "{}", model_info.name);
                assert!(model_info.name.is_ascii());
                assert_eq!(model_info.name, model_info.name.to_ascii_lowercase());
                assert_eq!(
                    canonical_model(Some(make_info.name), model_info.name),
                    Some((make_info.name, model_info.name))
                );
            }
        }
        for required in ["nissan", "byd", "tesla", "chirey", "mg", "fiat", "porsche"] {
            assert!(makes().any(|name| name == required), "{required}");
        }
    }

    #[test]
    fn models_of_accepts_aliases_and_unknown_makes() {
        assert!(models_of("vw").any(|name| name == "jetta"));
        assert_eq!(models_of("tatra").count(), 0);
    }

    #[test]
    fn colours_fold_spanish_and_english() {
        assert_eq!(canonical_color("Roja"), Some("red"));
        assert_eq!(canonical_color("rojo"), Some("red"));
        assert_eq!(canonical_color("grey"), Some("gray"));
        assert_eq!(canonical_color("gris"), Some("gray"));
        assert_eq!(canonical_color("plata"), Some("silver"));
        assert_eq!(canonical_color("Café"), Some("brown"));
        assert_eq!(canonical_color("octarine"), None);
        assert_eq!(colors().count(), COLORS.len());
    }
}
