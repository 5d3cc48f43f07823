//! Mexican cities buyers search in, with common abbreviations.

use super::text::compact_key;
use std::collections::HashMap;
use std::sync::LazyLock;

/// One city: its display name (with accents), its state, and other names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityInfo {
    pub name: &'static str,
    pub state: &'static str,
    /// Abbreviations and alternative names; the accent-free spelling of
    /// `name` is matched without being listed.
    pub aliases: &'static [&'static str],
}

const fn city(name: &'static str, state: &'static str, aliases: &'static [&'static str]) -> CityInfo {
    CityInfo { name, state, aliases }
}

/// The cities the marketplace recognises.
pub static CITIES: &[CityInfo] = &[
    city(
        "Ciudad de México",
        "Ciudad de México",
        &["cdmx", "df", "d.f.", "mexico df", "mexico city", "cd de mexico", "cd mexico"],
    ),
    city("Guadalajara", "Jalisco", &["gdl", "guanatos"]),
    city("Zapopan", "Jalisco", &[]),
    city("Monterrey", "Nuevo León", &["mty"]),
    city("San Pedro Garza García", "Nuevo León", &["san pedro"]),
    city("Puebla", "Puebla", &["pue"]),
    city("Querétaro", "Querétaro", &["qro"]),
    city("Tijuana", "Baja California", &["tj"]),
    city("Mexicali", "Baja California", &[]),
    city("Ensenada", "Baja California", &[]),
    city("León", "Guanajuato", &[]),
    city("Irapuato", "Guanajuato", &[]),
    city("Celaya", "Guanajuato", &[]),
    city("Mérida", "Yucatán", &[]),
    city("Cancún", "Quintana Roo", &[]),
    city("Toluca", "Estado de México", &[]),
    city("Naucalpan", "Estado de México", &[]),
    city("San Luis Potosí", "San Luis Potosí", &["slp"]),
    city("Aguascalientes", "Aguascalientes", &["ags"]),
    city("Chihuahua", "Chihuahua", &[]),
    city("Ciudad Juárez", "Chihuahua", &["juarez", "cd juarez"]),
    city("Hermosillo", "Sonora", &[]),
    city("Culiacán", "Sinaloa", &[]),
    city("Mazatlán", "Sinaloa", &[]),
    city("Morelia", "Michoacán", &[]),
    city("Saltillo", "Coahuila", &[]),
    city("Torreón", "Coahuila", &[]),
    city("Veracruz", "Veracruz", &[]),
    city("Xalapa", "Veracruz", &["jalapa"]),
    city("Oaxaca", "Oaxaca", &[]),
    city("Tuxtla Gutiérrez", "Chiapas", &["tuxtla"]),
    city("Villahermosa", "Tabasco", &[]),
    city("Acapulco", "Guerrero", &[]),
    city("Cuernavaca", "Morelos", &[]),
    city("Pachuca", "Hidalgo", &[]),
    city("Durango", "Durango", &[]),
    city("Zacatecas", "Zacatecas", &[]),
    city("Tampico", "Tamaulipas", &[]),
    city("Reynosa", "Tamaulipas", &[]),
    city("Nuevo Laredo", "Tamaulipas", &[]),
    city("La Paz", "Baja California Sur", &[]),
    city("Los Cabos", "Baja California Sur", &["cabo san lucas"]),
    city("Campeche", "Campeche", &[]),
    city("Colima", "Colima", &[]),
    city("Tepic", "Nayarit", &[]),
    city("Tlaxcala", "Tlaxcala", &[]),
];

static CITY_INDEX: LazyLock<HashMap<String, &'static CityInfo>> = LazyLock::new(|| {
    let mut index = HashMap::new();
    for city_info in CITIES {
        for name in std::iter::once(&city_info.name).chain(city_info.aliases) {
            index.insert(compact_key(name), city_info);
        }
    }
    index
});

/// The canonical (city, state) for a name or abbreviation, with or without
/// accents: `"cdmx"` → `("Ciudad de México", "Ciudad de México")`,
/// `"leon"` → `("León", "Guanajuato")`.
pub fn canonical_city(name: &str) -> Option<(&'static str, &'static str)> {
    CITY_INDEX.get(&compact_key(name)).map(|city_info| (city_info.name, city_info.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_accents_resolve() {
        let mexico_city = Some(("Ciudad de México", "Ciudad de México"));
        assert_eq!(canonical_city("CDMX"), mexico_city);
        assert_eq!(canonical_city("df"), mexico_city);
        assert_eq!(canonical_city("ciudad de mexico"), mexico_city);
        assert_eq!(canonical_city("Ciudad de México"), mexico_city);
        assert_eq!(canonical_city("gdl"), Some(("Guadalajara", "Jalisco")));
        assert_eq!(canonical_city("mty"), Some(("Monterrey", "Nuevo León")));
        assert_eq!(canonical_city("queretaro"), Some(("Querétaro", "Querétaro")));
        assert_eq!(canonical_city("León"), Some(("León", "Guanajuato")));
        assert_eq!(canonical_city("merida"), Some(("Mérida", "Yucatán")));
        assert_eq!(canonical_city("atlantis"), None);
    }

    #[test]
    fn every_city_finds_itself() {
        for city_info in CITIES {
            assert_eq!(canonical_city(city_info.name), Some((city_info.name, city_info.state)));
        }
    }
}
