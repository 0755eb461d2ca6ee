"""Names for the demo: people, wards and grassroots groups, in each country's own naming habits.

Everything here is data plus a few pure functions of a `random.Random`, so a fixed seed always gives
the same names. Styles are keyed by `Country.style`.
"""

# ruff: noqa: E501 (data tables: one entry per line reads better than wrapped)
from __future__ import annotations

import random
from dataclasses import dataclass


def _split(text: str, sep: str = ",") -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(sep) if item.strip())


@dataclass(frozen=True)
class NamePool:
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    surname_count: int = 1  # Spanish-speaking countries use two surnames


# fmt: off
PEOPLE: dict[str, NamePool] = {
    "ke": NamePool(
        _split("Wanjiru, Achieng, Njeri, Akinyi, Wambui, Nafula, Mercy, Faith, Grace, Amina, Zawadi, Halima, "
               "Atieno, Nyokabi, Chebet, Jepkoech, Wairimu, Auma, Mwanaisha, Esther, Beatrice, Nekesa"),
        _split("Otieno, Kamau, Mwangi, Ochieng, Kiprono, Omondi, Wafula, Mutua, Baraka, Juma, Hassan, Kibet, "
               "Njoroge, Barasa, Brian, Kevin, Onyango, Kiptoo, Musa, Dennis, Emmanuel, Salim"),
        _split("Otieno, Kamau, Mwangi, Wanjiku, Odhiambo, Ochieng, Kiprotich, Mutua, Njoroge, Wafula, Chebet, "
               "Omondi, Kariuki, Korir, Nyambura, Ali, Mohamed, Wekesa, Musyoka, Kilonzo, Owino, Rotich, Ekai, "
               "Lokwang, Baya, Katana, Chai, Karisa"),
    ),
    "ug": NamePool(
        _split("Nakato, Nansubuga, Namukasa, Akello, Atim, Auma, Babirye, Kyomuhendo, Nabirye, Florence, Aisha, "
               "Nalwoga, Acen, Ayikoru, Birungi, Kobusingye, Nakirya, Sarah, Prossy, Harriet"),
        _split("Okello, Mugisha, Ssemwogerere, Kato, Waiswa, Opio, Byaruhanga, Tumusiime, Mukasa, Ssali, Musa, "
               "Ocen, Oryem, Muhindo, Baluku, Isaac, Godfrey, Moses, Denis, Wandera"),
        _split("Nakato, Okello, Mugisha, Ssebunya, Namubiru, Kyomuhendo, Opio, Byamukama, Tumusiime, Akello, "
               "Atwine, Lubega, Nsubuga, Kizza, Wasswa, Ojok, Anguyo, Drani, Masereka, Kiiza, Wamala, Mafabi"),
    ),
    "pe": NamePool(
        _split("María, Rosa, Yolanda, Carmen, Nélida, Sonia, Juana, Flor, Milagros, Yesenia, Luzmila, Maritza, "
               "Soledad, Gregoria, Vilma, Karina, Delia, Sabina, Nancy, Teófila"),
        _split("Juan, José, Luis, Wilber, Edwin, Percy, Hugo, Jhon, Teodoro, Rufino, Víctor, Elmer, Fidel, "
               "Máximo, Alcides, Raúl, Walter, Santos, Félix, Américo"),
        _split("Quispe, Mamani, Huamán, Condori, Flores, Rojas, Chávez, Ccama, Sánchez, Gutiérrez, Vargas, "
               "Torres, Apaza, Choque, Huanca, Ramos, Mendoza, Cusi, Layme, Pari, Ticona, Yupanqui, Poma, "
               "Castillo, Díaz, Inga"),
        2,
    ),
    "co": NamePool(
        _split("Luz Marina, Ana, Diana, Paola, Yeimi, Marleny, Ángela, Claudia, Leidy, Carolina, Nidia, "
               "Yuliana, Gloria, Dora, Edilma, Sandra, Luz Dary, Ruby, Blanca, Yurany"),
        _split("Andrés, Jhon Jairo, Carlos, Wilmar, Jorge, Édgar, Fredy, Alexander, Yeison, Óscar, Hernán, "
               "Libardo, Diego, Arley, Jaime, Nelson, Rubén, Orlando, Brayan, Fabio"),
        _split("Rodríguez, Gómez, González, Martínez, López, Mosquera, Córdoba, Palacios, Ipuana, Epieyú, "
               "Muñoz, Castillo, Rentería, Valencia, Ortiz, Cuero, Quiñones, Ramírez, Pushaina, Tunubalá, "
               "Ulcué, Guerrero, Hurtado, Caicedo"),
        2,
    ),
    "in": NamePool(
        _split("Sunita, Priya, Lakshmi, Kavita, Meena, Anita, Radha, Shanti, Pooja, Savitri, Fatima, Rekha, "
               "Divya, Kamala, Selvi, Basanti, Pushpa, Geeta, Nirmala, Sarita, Jyoti, Manju"),
        _split("Ramesh, Suresh, Anil, Rajesh, Manoj, Arjun, Vijay, Imran, Ravi, Murugan, Santosh, Deepak, "
               "Mohan, Sanjay, Prakash, Bhola, Dinesh, Raju, Salim, Ganesh"),
        _split("Kumar, Devi, Sharma, Yadav, Singh, Patel, Das, Mahato, Murmu, Khan, Reddy, Nair, Pillai, "
               "Mishra, Sahu, Rao, Pandey, Meena, Gupta, Behera, Oraon, Hembrom, Kisku, Soren, Paswan, Jadhav, "
               "Patil, Pawar, Selvam, Bhil, Parmar"),
    ),
    "ph": NamePool(
        _split("Maria Cristina, Rosalinda, Jocelyn, Maricel, Lorna, Analyn, Rowena, Girlie, Marites, Liza, "
               "Jennifer, Editha, Cherry, Lourdes, Imelda, Rhea, Joy, Marilou, Nenita, Grace"),
        _split("Jose, Rodel, Jun, Ramil, Noel, Arnel, Dante, Rommel, Jomar, Reynaldo, Eduardo, Ronaldo, Jesus, "
               "Romeo, Ariel, Benjie, Marlon, Efren, Nestor, Bong"),
        _split("Dela Cruz, Santos, Reyes, Bautista, Garcia, Mendoza, Villanueva, Ramos, Aquino, Castillo, "
               "Manalo, Lagman, Tolentino, Dimaculangan, Macaraeg, Bacani, Cabrera, Magbanua, Ocampo, Salazar, "
               "Pangilinan, Tan, Lim, Alcantara, Abad"),
    ),
    "br": NamePool(
        _split("Maria das Graças, Francisca, Antônia, Raimunda, Josefa, Ana Paula, Luciana, Joana, Rosângela, "
               "Jéssica, Cleide, Marlene, Vanessa, Aparecida, Tereza, Edna, Sueli, Luzia, Juliana, Ivone"),
        _split("José, João, Antônio, Francisco, Raimundo, Luiz, Carlos, Marcos, Paulo, Sebastião, Manoel, "
               "Edson, Valdir, Cícero, Gilberto, Wellington, Rogério, Jailson, Damião, Severino"),
        _split("Silva, Santos, Oliveira, Souza, Lima, Pereira, Ferreira, Costa, Rodrigues, Almeida, "
               "Nascimento, Araújo, Barbosa, Carvalho, Gomes, Ribeiro, Cavalcanti, Bezerra, Moura, Macedo, "
               "Freitas, Pinheiro"),
        2,
    ),
    "mx": NamePool(
        _split("Guadalupe, María de Jesús, Juana, Margarita, Verónica, Xóchitl, Rosario, Alejandra, Leticia, "
               "Citlali, Martina, Elvira, Yolotzin, Patricia, Socorro, Araceli, Itzel, Concepción, Lucía, Paula"),
        _split("José Luis, Juan Carlos, Miguel Ángel, Francisco, Jesús, Alejandro, Fernando, Ricardo, Efraín, "
               "Cuauhtémoc, Isidro, Bartolo, Abel, Rigoberto, Tomás, Eusebio, Gerardo, Rafael, Hilario, Pedro"),
        _split("Hernández, García, Martínez, López, González, Pérez, Sánchez, Ramírez, Cruz, Gómez, Jiménez, "
               "Díaz, Morales, Vásquez, Santiago, Mendoza, Méndez, Gutiérrez, Bautista, Toledo, Matus, Chan, "
               "Pech, Canul, Tzotzil"),
        2,
    ),
    "gh": NamePool(
        _split("Akosua, Ama, Abena, Efua, Adwoa, Afia, Yaa, Esi, Mercy, Gifty, Comfort, Fuseina, Ayisha, "
               "Dzifa, Selasi, Mawusi, Abiba, Rukaya, Vida, Agnes"),
        _split("Kwame, Kofi, Kwabena, Yaw, Kojo, Kwaku, Kweku, Emmanuel, Ibrahim, Abdul-Razak, Selorm, Mawuli, "
               "Fuseini, Issah, Samuel, Ebo, Nii, Kpakpo, Alhassan, Daniel"),
        _split("Mensah, Owusu, Boateng, Asante, Osei, Addo, Agyeman, Appiah, Amoah, Quaye, Tetteh, Abubakar, "
               "Alhassan, Gyamfi, Darko, Agbeko, Kpodo, Dery, Azure, Anane, Nartey, Ansah"),
    ),
    "gt": NamePool(
        _split("Rosa, Ixchel, Juana, Candelaria, Magdalena, Petrona, Amalia, Sandra, Dora, Ana Lucía, Catarina, "
               "Marcelina, Rigoberta, Tomasa, Sebastiana, Feliciana, Manuela, Lidia, Olga, Elena"),
        _split("Juan, Pedro, Diego, Francisco, Tomás, Gaspar, Mario, Marvin, Byron, Kevin, Sebastián, Andrés, "
               "Baltazar, Mateo, Domingo, Lorenzo, Nicolás, Cristóbal, Edwin, Santos"),
        _split("Pérez, López, Xol, Caal, Choc, Tzul, Ixcoy, Cux, Batz, García, Coc, Chen, Pop, Tum, Ajú, Sic, "
               "Cuc, Ixim, Tecún, Quiej, Sacor, Cac, Maquín, Tiul"),
        2,
    ),
}

# Wards, neighbourhoods and villages: (prefix patterns, first parts, second parts).
_SAINTS_ES = _split("San José, San Antonio, San Isidro, San Miguel, San Pedro, San Juan, San Martín, San Francisco, "
                    "San Lucas, San Pablo, Santa Rosa, Santa Lucía, Santa Ana, Santa Marta, Santa Cruz, Santa Bárbara")
_WORDS_ES = _split("La Esperanza, El Progreso, La Victoria, Los Pinos, El Carmen, La Palma, El Porvenir, Las Flores, "
                   "La Unión, Nueva Esperanza, El Mirador, La Loma, Buenos Aires, Villa Hermosa, El Paraíso, "
                   "La Libertad, Brisas del Río, Los Laureles, El Bosque, La Florida, Vista Alegre, Los Olivos, "
                   "El Triunfo, Las Palmeras, La Pradera, Monte Verde, Agua Clara, Tres Esquinas")

WARD_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "ke": (("{} Ward", "{} Location", "{} Village"),
           _split("Ki, Nga, Mu, Ka, Nya, Ma, Gi, Tho, Ru, Ke, Wa, Lo, Chu, Mi"),
           _split("amba, rio, thiga, goro, ndani, kuyu, tuini, bale, wani, mbi, ringa, seme, nyeki, rera")),
    "ug": (("{} Parish", "{} Village", "{} Ward"),
           _split("Bu, Ki, Nama, Ka, Lu, Ny, Mpi, Wa, Ru, Bwe, Nsa, Ngo, Mi, Pa"),
           _split("kasa, wolo, yonga, binga, ganda, zira, kwe, yaga, sozi, lega, tende, mbwa, longo, rama")),
    "pe": (("Anexo {}", "Comunidad Campesina {}", "Asentamiento Humano {}", "Centro Poblado {}"),
           _split("Huay, Pampa, Chu, Ccol, Tupac, Kunt, Ayll, Qui, Paucar, Sonq, Inti, Huan, Lla, Ccori"),
           _split("lla, marca, pata, huasi, cocha, bamba, ccasa, pampa, rumi, quilla, cancha, chaca, tambo")),
    "co": (("Vereda {}", "Barrio {}", "Resguardo {}", "Corregimiento {}"), _SAINTS_ES, _WORDS_ES),
    "mx": (("Colonia {}", "Barrio {}", "Ejido {}", "Comunidad {}"), _SAINTS_ES,
           _WORDS_ES + _split("Tlaxcalancingo, Ocotepec, Xochitlán, Tepeyac, Cuauhtémoc, Tlalcozotitlán, "
                              "Chiconcuac, Ixtlahuaca, Santa María Tonantzintla, Tepetlixpa")),
    "gt": (("Aldea {}", "Caserío {}", "Cantón {}", "Colonia {}"),
           _split("Chi, Xe, Pa, Pan, Chu, Sac, Tza, Ixi, Cho, Pach, Ra, Bal"),
           _split("jul, xoy, tzam, mach, quix, ja, tinamit, cab, xac, chaj, poj, ulew")),
    "br": (("Vila {}", "Jardim {}", "Comunidade {}", "Assentamento {}", "Bairro {}"),
           _split("São José, Santo Antônio, São Francisco, Santa Luzia, Nova, Ita, Ara, Pira"),
           _split("Esperança, Vista, Vitória, Conquista, Primavera, juba, tiba, guaçu, mirim, caju, Liberdade, "
                  "Palmares, Alegria, Dourada")),
    "in": (("{}", "{} Basti", "{} Gram Panchayat", "{} Ward"),
           _split("Ram, Shiv, Gandhi, Nehru, Indira, Ambedkar, Laxmi, Sundar, Krishna, Durga, Hari, Kali, Sita, "
                  "Chandan, Mohan, Ganga"),
           _split("pur, nagar, ganj, puram, palli, gaon, pada, abad, wadi, khera, tola, kheda")),
    "ph": (("Barangay {}", "Sitio {}", "Purok {}"),
           _split("San Isidro, San Roque, Santa Cruz, Bagong, Maligaya, Malaya, Mabini, Rizal, Bonifacio, "
                  "Poblacion, Kalayaan, Magsaysay, Bagumbayan, Tabing, Ilaya"),
           _split("Pag-asa, Silangan, Kanluran, Ilog, Dagat, Bukid, Bayan, Uno, Dos, Tres, Norte, Sur, Proper")),
    "gh": (("{}", "{} Zongo", "{} Electoral Area", "{} Community"),
           _split("Ade, Asa, Nyame, Aboa, Kwa, Ofori, Abo, Akwa, Bono, Dzo, Agbo, Sawla, Nkwa"),
           _split("krom, so, man, se, ase, bo, dze, kope, nta, fie, kuma")),
}

# Districts beyond the real towns: a compass part or a rural/urban split, in the local language.
DISTRICT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "ke": ("North", "South", "East", "West", "Rural", "Central"),
    "ug": ("North", "South", "East", "West", "Rural", "Municipality"),
    "pe": ("Norte", "Sur", "Alto", "Bajo", "Rural", "Centro"),
    "co": ("Norte", "Sur", "Rural", "Centro", "Oriente", "Occidente"),
    "mx": ("Norte", "Sur", "Rural", "Centro", "Oriente", "Poniente"),
    "gt": ("Norte", "Sur", "Rural", "Centro", "Oriente", "Occidente"),
    "br": ("Norte", "Sul", "Leste", "Oeste", "Rural", "Centro"),
    "in": ("North", "South", "East", "West", "Rural", "Sadar"),
    "ph": ("North", "South", "East", "West", "Poblacion", "City"),
    "gh": ("North", "South", "East", "West", "Municipal", "Central"),
}

# Grassroots groups: "{}" is the ward or village.
GROUP_TEMPLATES: dict[str, tuple[str, ...]] = {
    "ke": _split("{} Women's Savings Group; Umoja {} Self-Help Group; {} Youth Farmers; {} Water Committee; "
                 "Kikundi cha Wanawake {}; Tujiunge {}; {} Mothers' Circle; {} Tree Nursery Group; "
                 "{} Boda Boda SACCO; {} Climate Champions; {} Table Banking Group; Jitegemee {}", ";"),
    "ug": _split("Twekembe {} Women's Group; {} Youth Farmers; {} VSLA; Tukolerewamu {}; {} Water User Committee; "
                 "{} Mothers' Union; {} Boda Boda Association; Bataka {} Savings Group; {} Coffee Growers; "
                 "{} Climate Action Youth", ";"),
    "pe": _split("Mujeres Unidas de {}; Olla Común {}; Comedor Popular {}; Ronda Campesina {}; "
                 "Comité de Agua {}; Asociación de Productores {}; Colectivo Juvenil {}; Vaso de Leche {}; "
                 "Grupo de Ahorro {}; Artesanas de {}; Red de Mujeres {}; Guardianes del Agua {}", ";"),
    "co": _split("Mujeres Unidas de {}; Junta de Acción Comunal {}; Grupo de Ahorro {}; Colectivo Juvenil {}; "
                 "Asociación de Productores {}; Huerta Comunitaria {}; Guardia Indígena {}; "
                 "Cooperativa {}; Red de Mujeres {}; Guardianes del Río {}; Madres Comunitarias {}", ";"),
    "mx": _split("Mujeres Unidas de {}; Grupo de Ahorro {}; Cooperativa {}; Colectivo Juvenil {}; "
                 "Comité de Agua {}; Huerta Comunitaria {}; Asamblea Comunitaria {}; Tianguis Solidario {}; "
                 "Red de Mujeres {}; Guardianes del Maíz {}; Milpa Viva {}", ";"),
    "gt": _split("Mujeres Mayas de {}; Grupo de Ahorro {}; Comité Comunitario {}; Cooperativa {}; "
                 "Colectivo Juvenil {}; Tejedoras de {}; Comité de Agua {}; Asociación de Productores {}; "
                 "Guardianes del Bosque {}", ";"),
    "br": _split("Associação de Moradores {}; Grupo de Mulheres {}; Horta Comunitária {}; Coletivo Jovem {}; "
                 "Cooperativa {}; Banco Comunitário {}; Mutirão {}; Quilombo {}; Fundo Rotativo {}; "
                 "Guardiões do Rio {}", ";"),
    "in": _split("{} Mahila Mandal; {} Self-Help Group; {} Kisan Sangh; {} Yuva Mandal; Jan Shakti {}; "
                 "Sakhi Samuh {}; {} Van Suraksha Samiti; {} Pani Panchayat; {} Dairy Cooperative; "
                 "Ujala {} SHG", ";"),
    "ph": _split("{} Women's Association; Samahan ng Kababaihan ng {}; {} Farmers' Cooperative; Bayanihan {}; "
                 "{} Fisherfolk Association; {} Youth Council; Kapit-Bisig {}; {} Urban Poor Association; "
                 "{} Mangrove Guardians", ";"),
    "gh": _split("{} Women's Savings Group; Nkabom {}; {} Youth Farmers; {} VSLA; {} Shea Butter Cooperative; "
                 "{} Water and Sanitation Committee; Anidaso {}; {} Fish Processors; {} Climate Youth", ";"),
}

# fmt: on
CLUSTER_TEMPLATES: dict[str, str] = {
    "ke": "{} Cluster",
    "ug": "{} Cluster",
    "gh": "{} Cluster",
    "in": "{} Cluster",
    "ph": "{} Cluster",
    "pe": "Red {}",
    "co": "Red {}",
    "mx": "Red {}",
    "gt": "Red {}",
    "br": "Rede {}",
}  # fmt: skip

SKILLS: tuple[str, ...] = (
    "facilitation", "bookkeeping", "savings and credit", "agroecology", "water management", "advocacy",
    "mobile data collection", "first aid", "tailoring", "beekeeping", "conflict mediation", "radio",
    "seed saving", "fundraising", "monitoring and evaluation", "childcare", "solar repair", "accounting",
)  # fmt: skip


THREE_SYLLABLES = frozenset({"ke", "ug", "pe", "gt", "gh"})
VOWELS = frozenset("aeiou")


def place_name(rng: random.Random, style: str) -> str:
    """A plausible village or ward name (without its prefix) in the given style."""
    _, first, second = WARD_PARTS[style]
    a, b = rng.choice(first), rng.choice(second)
    if b[0].islower():
        # syllables: "Ki" + "amba" → "Kiamba"; a saint's name stands alone
        if " " in a:
            return a
        if style in THREE_SYLLABLES and rng.random() < 0.4:
            middle = rng.choice(first).lower()  # "Ki" + "nya" + "mba": a longer, still local name
            if middle[-1] in VOWELS and b[0] in VOWELS:
                b = b[1:]
            return a + middle + b
        return a + b
    if " " in a:
        # "San Isidro" or "La Esperanza", not both; a short part ("Norte", "Uno") never stands alone
        return a if rng.random() < 0.4 or len(b) < 7 else b
    return f"{a} {b}"


def ward_name(rng: random.Random, style: str) -> str:
    patterns = WARD_PARTS[style][0]
    return rng.choice(patterns).format(place_name(rng, style))


def person_name(rng: random.Random, style: str) -> str:
    pool = PEOPLE[style]
    first = rng.choice(pool.female) if rng.random() < 0.6 else rng.choice(pool.male)
    surnames = " ".join(rng.choice(pool.surnames) for _ in range(pool.surname_count))
    return f"{first} {surnames}"
