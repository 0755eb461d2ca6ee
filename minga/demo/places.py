"""A hand-written gazetteer for the demo: real countries, real first-level regions and real towns.

Coordinates are approximate (a capital for the country, a rough centroid for the region) and `spread`
is how far, in degrees, the region's districts scatter around it: a city region is small, a province
is wide. Districts take the real town names first; wards, clusters and groups get plausible names
made from each country's own naming habits (see `names.py`).
"""

# ruff: noqa: E501 (data tables: one entry per line reads better than wrapped)
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    latitude: float
    longitude: float
    spread: float
    towns: tuple[str, ...]


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    capital: str
    latitude: float
    longitude: float
    languages: tuple[str, ...]  # preferred languages of the people, most common first
    style: str  # naming style: which name pools and group-name templates apply
    regions: tuple[Region, ...]


def _r(code: str, name: str, lat: float, lon: float, spread: float, towns: str) -> Region:
    return Region(code, name, lat, lon, spread, tuple(t.strip() for t in towns.split(",")))


# In the order the collective grew into them: small demos take the first few.
# fmt: off
COUNTRIES: tuple[Country, ...] = (
    Country(
        "KE", "Kenya", "Nairobi", -1.286, 36.817, ("sw", "en"), "ke",
        (
            _r("nai", "Nairobi", -1.29, 36.82, 0.08, "Kibera, Mathare, Kasarani, Embakasi, Dagoretti, Westlands"),
            _r("msa", "Mombasa", -4.04, 39.67, 0.08, "Likoni, Kisauni, Nyali, Changamwe, Mvita, Jomvu"),
            _r("ksm", "Kisumu", -0.15, 34.85, 0.3, "Nyando, Muhoroni, Seme, Kisumu East, Nyakach, Kisumu West"),
            _r("nak", "Nakuru", -0.40, 36.10, 0.45, "Naivasha, Molo, Njoro, Gilgil, Subukia, Rongai"),
            _r("kak", "Kakamega", 0.30, 34.75, 0.3, "Mumias, Lurambi, Malava, Butere, Shinyalu, Lugari"),
            _r("mks", "Machakos", -1.45, 37.40, 0.4, "Mavoko, Kangundo, Mwala, Yatta, Kathiani, Masinga"),
            _r("klf", "Kilifi", -3.40, 39.70, 0.4, "Malindi, Ganze, Rabai, Kaloleni, Magarini, Kilifi North"),
            _r("tur", "Turkana", 3.10, 35.60, 0.9, "Lodwar, Kakuma, Lokichoggio, Loima, Lokitaung, Kalokol"),
        ),
    ),
    Country(
        "PE", "Peru", "Lima", -12.046, -77.043, ("es", "qu"), "pe",
        (
            _r("lim", "Lima", -12.05, -77.00, 0.15, "Villa El Salvador, San Juan de Lurigancho, Comas, Ate, Carabayllo, Pachacámac"),
            _r("cus", "Cusco", -13.50, -71.90, 0.6, "Urubamba, Calca, Pisac, Ollantaytambo, Anta, Sicuani"),
            _r("pun", "Puno", -15.30, -70.10, 0.6, "Juliaca, Ilave, Azángaro, Juli, Lampa, Ayaviri"),
            _r("are", "Arequipa", -16.00, -72.20, 0.7, "Cayma, Camaná, Chivay, Mollendo, Paucarpata, Aplao"),
            _r("piu", "Piura", -5.20, -80.40, 0.5, "Sullana, Catacaos, Paita, Chulucanas, Talara, Ayabaca"),
            _r("caj", "Cajamarca", -6.60, -78.60, 0.6, "Jaén, Celendín, Bambamarca, Chota, Cajabamba, San Ignacio"),
            _r("jun", "Junín", -11.60, -75.10, 0.6, "Huancayo, Tarma, Jauja, La Merced, Satipo, Concepción"),
            _r("lor", "Loreto", -4.50, -74.50, 1.2, "Iquitos, Nauta, Yurimaguas, Requena, Caballococha, Contamana"),
        ),
    ),
    Country(
        "IN", "India", "New Delhi", 28.614, 77.209, ("hi", "en", "or"), "in",
        (
            _r("br", "Bihar", 25.80, 85.60, 0.9, "Patna, Gaya, Muzaffarpur, Darbhanga, Purnia, Sitamarhi"),
            _r("od", "Odisha", 20.50, 84.60, 1.0, "Bhubaneswar, Cuttack, Koraput, Puri, Sambalpur, Kandhamal"),
            _r("mh", "Maharashtra", 19.60, 75.50, 1.4, "Pune, Nashik, Nagpur, Aurangabad, Solapur, Gadchiroli"),
            _r("tn", "Tamil Nadu", 11.10, 78.40, 1.0, "Madurai, Coimbatore, Tiruchirappalli, Salem, Tirunelveli, Villupuram"),
            _r("rj", "Rajasthan", 26.60, 73.80, 1.5, "Jaipur, Udaipur, Jodhpur, Barmer, Ajmer, Banswara"),
            _r("up", "Uttar Pradesh", 26.80, 80.90, 1.5, "Lucknow, Varanasi, Gorakhpur, Bahraich, Prayagraj, Sitapur"),
            _r("jh", "Jharkhand", 23.60, 85.30, 0.8, "Ranchi, Dumka, Hazaribagh, Gumla, Palamu, Khunti"),
            _r("gj", "Gujarat", 22.70, 71.60, 1.2, "Ahmedabad, Kutch, Dahod, Rajkot, Surat, Banaskantha"),
        ),
    ),
    Country(
        "PH", "Philippines", "Manila", 14.599, 120.984, ("tl", "en", "ceb"), "ph",
        (
            _r("ncr", "Metro Manila", 14.60, 121.00, 0.08, "Tondo, Quezon City, Caloocan, Pasig, Taguig, Malabon"),
            _r("r3", "Central Luzon", 15.40, 120.70, 0.5, "Tarlac, San Fernando, Cabanatuan, Olongapo, Malolos, Balanga"),
            _r("r5", "Bicol", 13.40, 123.40, 0.5, "Legazpi, Naga, Sorsogon, Daet, Masbate, Virac"),
            _r("r6", "Western Visayas", 10.90, 122.50, 0.5, "Iloilo, Roxas, Kalibo, San Jose de Buenavista, Bacolod, Passi"),
            _r("r7", "Central Visayas", 10.20, 123.80, 0.4, "Cebu, Tagbilaran, Dumaguete, Toledo, Danao, Carcar"),
            _r("r8", "Eastern Visayas", 11.50, 124.90, 0.5, "Tacloban, Ormoc, Catbalogan, Borongan, Maasin, Palo"),
            _r("r10", "Northern Mindanao", 8.30, 124.70, 0.5, "Cagayan de Oro, Iligan, Malaybalay, Oroquieta, Gingoog, Valencia"),
            _r("r11", "Davao", 7.20, 125.60, 0.5, "Davao City, Tagum, Digos, Mati, Panabo, Samal"),
        ),
    ),
    Country(
        "BR", "Brazil", "Brasília", -15.794, -47.882, ("pt",), "br",
        (
            _r("pe", "Pernambuco", -8.30, -37.50, 1.0, "Recife, Caruaru, Petrolina, Garanhuns, Olinda, Serra Talhada"),
            _r("ba", "Bahia", -12.50, -41.70, 1.5, "Salvador, Feira de Santana, Vitória da Conquista, Juazeiro, Ilhéus, Barreiras"),
            _r("ce", "Ceará", -5.20, -39.50, 0.9, "Fortaleza, Juazeiro do Norte, Sobral, Crato, Quixadá, Iguatu"),
            _r("ma", "Maranhão", -5.00, -45.30, 1.3, "São Luís, Imperatriz, Caxias, Codó, Bacabal, Balsas"),
            _r("mg", "Minas Gerais", -18.50, -44.50, 1.5, "Belo Horizonte, Montes Claros, Uberlândia, Teófilo Otoni, Juiz de Fora, Januária"),
            _r("pa", "Pará", -3.80, -52.50, 2.0, "Belém, Santarém, Marabá, Altamira, Castanhal, Cametá"),
            _r("rj", "Rio de Janeiro", -22.85, -43.30, 0.15, "Maré, Rocinha, Duque de Caxias, Nova Iguaçu, São Gonçalo, Cidade de Deus"),
            _r("sp", "São Paulo", -23.10, -47.50, 0.9, "Campinas, Guarulhos, Sorocaba, Ribeirão Preto, Capão Redondo, Registro"),
        ),
    ),
    Country(
        "UG", "Uganda", "Kampala", 0.348, 32.583, ("lg", "en"), "ug",
        (
            _r("kla", "Kampala", 0.33, 32.58, 0.06, "Kawempe, Makindye, Nakawa, Rubaga, Kampala Central, Bwaise"),
            _r("wak", "Wakiso", 0.40, 32.45, 0.2, "Entebbe, Nansana, Kira, Kakiri, Busukuma, Wakiso"),
            _r("gul", "Gulu", 2.80, 32.30, 0.3, "Bungatira, Awach, Paicho, Unyama, Laroo, Bobi"),
            _r("mbr", "Mbarara", -0.60, 30.65, 0.3, "Kakoba, Nyamitanga, Rubindi, Bubaare, Kashare, Rwanyamahembe"),
            _r("jin", "Jinja", 0.50, 33.20, 0.2, "Bugembe, Buwenge, Mafubira, Budondo, Kakira, Butagaya"),
            _r("mbl", "Mbale", 1.08, 34.20, 0.2, "Nakaloke, Bungokho, Busiu, Wanale, Namabasa, Bufumbo"),
            _r("aru", "Arua", 3.00, 30.90, 0.3, "Ayivu, Vurra, Terego, Manibe, Oluko, Pajulu"),
            _r("kas", "Kasese", 0.10, 30.00, 0.3, "Bwera, Hima, Kisinga, Rukoki, Mpondwe, Karusandara"),
        ),
    ),
    Country(
        "CO", "Colombia", "Bogotá", 4.711, -74.072, ("es",), "co",
        (
            _r("ant", "Antioquia", 6.70, -75.50, 0.8, "Medellín, Bello, Rionegro, Apartadó, Turbo, Caucasia"),
            _r("cau", "Cauca", 2.50, -76.80, 0.6, "Popayán, Santander de Quilichao, Silvia, El Tambo, Timbío, Guapi"),
            _r("nar", "Nariño", 1.50, -77.60, 0.6, "Pasto, Tumaco, Ipiales, Túquerres, La Unión, Barbacoas"),
            _r("bol", "Bolívar", 9.50, -74.80, 0.8, "Cartagena, Magangué, Turbaco, El Carmen de Bolívar, Mompox, Arjona"),
            _r("cun", "Cundinamarca", 4.80, -74.10, 0.5, "Soacha, Zipaquirá, Fusagasugá, Facatativá, Girardot, Chía"),
            _r("cho", "Chocó", 5.70, -76.70, 0.7, "Quibdó, Istmina, Bahía Solano, Riosucio, Tadó, Nuquí"),
            _r("vac", "Valle del Cauca", 3.80, -76.40, 0.5, "Cali, Buenaventura, Palmira, Tuluá, Jamundí, Cartago"),
            _r("lag", "La Guajira", 11.40, -72.70, 0.5, "Riohacha, Maicao, Uribia, Manaure, Fonseca, San Juan del Cesar"),
        ),
    ),
    Country(
        "MX", "Mexico", "Mexico City", 19.433, -99.133, ("es", "zap", "nah"), "mx",
        (
            _r("oax", "Oaxaca", 17.00, -96.50, 0.8, "Juchitán, Tuxtepec, Huajuapan, Salina Cruz, Oaxaca de Juárez, Miahuatlán"),
            _r("chs", "Chiapas", 16.50, -92.60, 0.8, "San Cristóbal de las Casas, Tuxtla Gutiérrez, Tapachula, Comitán, Palenque, Ocosingo"),
            _r("gro", "Guerrero", 17.60, -99.80, 0.7, "Chilpancingo, Acapulco, Iguala, Tlapa, Taxco, Chilapa"),
            _r("mic", "Michoacán", 19.20, -101.90, 0.8, "Morelia, Uruapan, Zamora, Pátzcuaro, Apatzingán, Cherán"),
            _r("pue", "Puebla", 19.00, -97.90, 0.6, "Puebla, Tehuacán, Cholula, Zacatlán, Cuetzalan, Atlixco"),
            _r("yuc", "Yucatán", 20.80, -89.00, 0.6, "Mérida, Valladolid, Tizimín, Progreso, Ticul, Motul"),
            _r("mex", "Estado de México", 19.35, -99.50, 0.4, "Toluca, Ecatepec, Nezahualcóyotl, Chalco, Texcoco, Ixtapaluca"),
            _r("ver", "Veracruz", 19.20, -96.50, 0.9, "Xalapa, Veracruz, Papantla, Córdoba, Coatzacoalcos, Tuxpan"),
        ),
    ),
    Country(
        "GH", "Ghana", "Accra", 5.604, -0.187, ("tw", "en", "ee"), "gh",
        (
            _r("ga", "Greater Accra", 5.70, -0.10, 0.15, "Accra, Tema, Madina, Ashaiman, Nima, Adenta"),
            _r("as", "Ashanti", 6.70, -1.60, 0.5, "Kumasi, Obuasi, Ejisu, Mampong, Konongo, Bekwai"),
            _r("nr", "Northern", 9.50, -0.90, 0.7, "Tamale, Yendi, Savelugu, Bimbilla, Damongo, Gushegu"),
            _r("vr", "Volta", 6.60, 0.45, 0.4, "Ho, Hohoe, Keta, Kpando, Aflao, Sogakope"),
            _r("cr", "Central", 5.50, -1.30, 0.4, "Cape Coast, Winneba, Kasoa, Elmina, Saltpond, Twifo Praso"),
            _r("ue", "Upper East", 10.80, -0.90, 0.3, "Bolgatanga, Bawku, Navrongo, Zebilla, Paga, Sandema"),
        ),
    ),
    Country(
        "GT", "Guatemala", "Guatemala City", 14.634, -90.506, ("es", "kek", "quc"), "gt",
        (
            _r("av", "Alta Verapaz", 15.50, -90.30, 0.4, "Cobán, San Pedro Carchá, Tactic, Chisec, Fray Bartolomé de las Casas, Lanquín"),
            _r("hu", "Huehuetenango", 15.60, -91.50, 0.4, "Huehuetenango, Chiantla, Santa Cruz Barillas, San Mateo Ixtatán, Soloma, Jacaltenango"),
            _r("qc", "Quiché", 15.30, -91.00, 0.4, "Santa Cruz del Quiché, Chichicastenango, Nebaj, Joyabaj, Uspantán, Chajul"),
            _r("so", "Sololá", 14.77, -91.18, 0.15, "Panajachel, Santiago Atitlán, San Lucas Tolimán, Nahualá, San Juan La Laguna, Sololá"),
            _r("gu", "Guatemala", 14.63, -90.51, 0.15, "Mixco, Villa Nueva, Chinautla, San Juan Sacatepéquez, Amatitlán, Palencia"),
            _r("xe", "Quetzaltenango", 14.84, -91.52, 0.2, "Xela, Cantel, Coatepeque, Olintepeque, Almolonga, Zunil"),
        ),
    ),
)
# fmt: on
