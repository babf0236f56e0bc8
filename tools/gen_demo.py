#!/usr/bin/env python3
"""Generate the demo corpus: invented news articles as JSON Lines (API.md article records).

    python3 tools/gen_demo.py --count 3000 --seed 7 demo/demo.jsonl

Everything is synthesised here from our own templates and word lists: invented people, outlets,
companies and agencies; real country and city names (facts). Output is deterministic for a
given seed and count. Dates spread over 2024-01-01..2025-12-31 with lower weekend volume and a
handful of news "events" that spike for a few days, so timelines have shape. About 2% of the
records are near-duplicate wire copies (same story re-sent with a new headline and one
sentence dropped), which is what real feeds look like.

Standard library only.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import sys

START = dt.date(2024, 1, 1)
END = dt.date(2025, 12, 31)

GIVEN = """Ana Bruno Carla Diego Elena Farid Greta Hugo Ines Jonas Kira Luca Maren Nadia Omar Paula
Rafael Sofia Tomas Ulla Vera Wendell Yara Zeno Amara Bilal Celine Dario Esme Felix Hana Ivo
Jana Kenji Leila Mateo Nora Oskar Priya Quentin Rosa Samir Tala Viktor Wanda Ximena Yusuf Zofia
Adriana Basil Chiara Dmitri Eva Gideon Helga Ilan Joaquim Katya Lorenzo Mina Nikolai Olga
Pedro Rania Stellan Tereza Umar Valentina Aiko Baraka Cosmin Daniela Emeka Fatima Goran Ingrid
Jasper Lucia Marek Nell Orla Pavel Renata Sven Thea""".split()

SURNAMES = """Ruiz Okafor Lindqvist Moreau Takeda Varga Castellano Brandt Novak Haddad Pereira
Kowalski Ionescu Mbeki Santos Halvorsen Dimitrov Fontaine Achebe Marlowe Quintero Sato Weller
Abara Bianchi Duarte Esterhazy Falk Garrido Hollis Ibarra Jovanovic Kessler Lamarr Moretti
Nakamura Oyelaran Petrov Rinaldi Solberg Tanaka Ulloa Vasquez Wojcik Yilmaz Zeller Arslan
Benedek Carvalho Delacroix Eriksen Ferreira Grieve Hakimi Ishikawa Jansen Kader Lorca Mensah
Navarro Ortega Pasternak Quiroga Rosales Sokolov Tavares Uribe Valcourt Whitlock Amadi Bergman
Cortez Dragan Ekwueme Fischer Gallo Horvat Ilunga Juarez Kato Lindgren Mirza Nilsson Osei
Palmer Reyes Strand Toivonen Vidal""".split()

# name, demonym, capital, other cities
COUNTRIES = [
    ("Portugal", "Portuguese", "Lisbon", ["Porto", "Braga", "Coimbra"]),
    ("Spain", "Spanish", "Madrid", ["Valencia", "Seville", "Barcelona"]),
    ("France", "French", "Paris", ["Lyon", "Marseille", "Nantes"]),
    ("Germany", "German", "Berlin", ["Hamburg", "Munich", "Cologne"]),
    ("Italy", "Italian", "Rome", ["Milan", "Naples", "Turin"]),
    ("Poland", "Polish", "Warsaw", ["Krakow", "Gdansk", "Wroclaw"]),
    ("the Netherlands", "Dutch", "Amsterdam", ["Rotterdam", "Utrecht", "Eindhoven"]),
    ("Brazil", "Brazilian", "Brasilia", ["Sao Paulo", "Rio de Janeiro", "Recife"]),
    ("Argentina", "Argentine", "Buenos Aires", ["Cordoba", "Rosario", "Mendoza"]),
    ("Mexico", "Mexican", "Mexico City", ["Monterrey", "Guadalajara", "Veracruz"]),
    ("Canada", "Canadian", "Ottawa", ["Toronto", "Montreal", "Vancouver"]),
    ("Japan", "Japanese", "Tokyo", ["Osaka", "Nagoya", "Fukuoka"]),
    ("South Korea", "South Korean", "Seoul", ["Busan", "Incheon", "Daegu"]),
    ("India", "Indian", "New Delhi", ["Mumbai", "Chennai", "Kolkata"]),
    ("Indonesia", "Indonesian", "Jakarta", ["Surabaya", "Medan", "Bandung"]),
    ("the Philippines", "Philippine", "Manila", ["Cebu", "Davao", "Iloilo"]),
    ("Kenya", "Kenyan", "Nairobi", ["Mombasa", "Kisumu", "Nakuru"]),
    ("Nigeria", "Nigerian", "Abuja", ["Lagos", "Kano", "Ibadan"]),
    ("South Africa", "South African", "Pretoria", ["Johannesburg", "Cape Town", "Durban"]),
    ("Australia", "Australian", "Canberra", ["Sydney", "Melbourne", "Brisbane"]),
    ("Turkey", "Turkish", "Ankara", ["Istanbul", "Izmir", "Bursa"]),
    ("Egypt", "Egyptian", "Cairo", ["Alexandria", "Giza", "Port Said"]),
    ("Chile", "Chilean", "Santiago", ["Valparaiso", "Concepcion", "Antofagasta"]),
    ("Vietnam", "Vietnamese", "Hanoi", ["Ho Chi Minh City", "Da Nang", "Haiphong"]),
]

OUTLETS = [
    ("The Meridian Post", "meridianpost"),
    ("Harbor Wire", "harborwire"),
    ("Daily Lantern", "dailylantern"),
    ("Northgate Herald", "northgateherald"),
    ("Continental Dispatch", "contdispatch"),
    ("The Civic Ledger", "civicledger"),
    ("Atlas News Service", "atlasnews"),
    ("Evening Compass", "eveningcompass"),
]
WIRES = {"Harbor Wire", "Atlas News Service"}

PARTIES = ["Civic Alliance", "People's Renewal Party", "National Union", "Green Future",
           "Liberal Forum", "Workers' Movement", "Democratic Centre", "Reform Coalition"]
FIRMS = ["Harbor Capital", "Kestrel Research", "Bellwether Analytics", "Ostrander Partners",
         "Granite Bay Securities", "Lowland Economics"]
ENERGY_COS = ["Northwind Energy Corp", "Bluestone Petroleum", "Solvane Power", "Redmark Oil"]
TECH_COS = ["Quillon Systems", "Aster Semiconductor", "Lumen Data", "Vantor Networks",
            "Pellucid Labs"]
HEALTH_COS = ["Meridian Health Group", "Caldera Pharma", "Velia Biologics"]
TRADE_COS = ["Harbor Line Shipping", "Tidewater Grain", "Corvale Motors", "Ironleaf Steel"]
GOODS = ["steel", "grain", "electric vehicles", "soybeans", "semiconductors", "wine",
         "solar panels", "fertiliser", "textiles", "coffee"]
DISEASES = ["measles", "dengue fever", "a new influenza strain", "cholera", "mpox"]
STORM_NAMES = ["Alvaro", "Brisa", "Corentin", "Dalia", "Emeric", "Fenna", "Gaspar", "Hestia",
               "Ilario", "Joana", "Kasimir", "Liora", "Mirae", "Nereo", "Odalys", "Pim"]
STORM_KINDS = ["Storm", "Typhoon", "Cyclone", "Hurricane"]
SPORT_SUFFIX = ["Rovers", "Athletic", "United", "Wanderers", "City", "Albion"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


class Person:
    def __init__(self, given, surname, role):
        self.given, self.surname, self.role = given, surname, role

    @property
    def name(self):
        return self.given + " " + self.surname


class Org:
    """An organisation; acronym is introduced in parentheses on first mention."""

    def __init__(self, name, acronym=None, article=True):
        self.name, self.acronym, self.article = name, acronym, article


class World:
    """Invented people per country and role, built once from the seed."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()
        self.people = {}
        roles = ["Prime Minister", "Finance Minister", "Interior Minister", "Health Minister",
                 "Energy Minister", "Trade Minister", "central bank Governor",
                 "opposition leader", "Justice", "Mayor", "chief forecaster",
                 "Foreign Minister"]
        for c in COUNTRIES:
            for r in roles:
                self.people[(c[0], r)] = self.new_person(r)
        self.ceos = {co: self.new_person("Chief Executive") for co in
                     ENERGY_COS + TECH_COS + HEALTH_COS + TRADE_COS}
        self.analysts = [self.new_person("analyst") for _ in range(24)]
        self.coaches = [self.new_person("coach") for _ in range(30)]
        self.players = [self.new_person("striker") for _ in range(60)]
        self.reporters = {o[0]: [self.new_person("reporter") for _ in range(6)] for o in OUTLETS}

    def new_person(self, role):
        while True:
            g, s = self.rng.choice(GIVEN), self.rng.choice(SURNAMES)
            if (g, s) not in self.used and s not in {p[1] for p in self.used if p[0] == g}:
                self.used.add((g, s))
                return Person(g, s, role)


class Mentions(dict):
    """format_map mapping that tracks first and later mentions and collects entities.

    Person slots: first "Finance Minister Ana Ruiz", later "Ruiz". Org slots: first
    "the National Weather Agency (NWA)", later "the NWA". A slot name starting with a capital
    letter capitalises the first character (sentence start). Callable values are drawn afresh.
    """

    def __init__(self, slots, title_mode=False):
        super().__init__()
        self.slots = slots
        self.seen = set()
        self.title_mode = title_mode
        self.people, self.orgs, self.places = [], [], []

    def _add(self, lst, name):
        if name not in lst:
            lst.append(name)

    def __missing__(self, key):
        cap = key[:1].isupper()
        k = key[:1].lower() + key[1:]
        if k not in self.slots:
            raise KeyError(key)
        v = self.slots[k]
        if callable(v):
            v = v()
        if isinstance(v, Person):
            self._add(self.people, v.name)
            if self.title_mode:
                s = v.surname
            elif k in self.seen:
                s = v.surname
            elif v.role == "analyst":
                s = v.name + ", an analyst at " + self.slots["firm"]
                self._add(self.orgs, self.slots["firm"])
            else:
                s = v.role + " " + v.name
            self.seen.add(k)
        elif isinstance(v, Org):
            self._add(self.orgs, v.name)
            the = "the " if v.article else ""
            if v.acronym and (k in self.seen or self.title_mode):
                s = (the if not self.title_mode else "") + v.acronym
            elif v.acronym:
                s = the + v.name + " (" + v.acronym + ")"
            else:
                s = (the if not self.title_mode else "") + v.name
            self.seen.add(k)
        else:
            s = str(v)
            if k in ("country", "country2", "city", "capital"):
                self._add(self.places, s[4:] if s.startswith("the ") else s)
            elif k in ("company", "company2", "firm", "party", "party2", "team", "team2"):
                self._add(self.orgs, s)
        if cap:
            s = s[:1].upper() + s[1:]
        return s


# Templates per topic: titles, leads, body sentences, quotes ("..." said {x}.), background.
# Slots are filled by Mentions; every topic's context defines the slots its templates use.
T = {}

T["elections"] = dict(
    titles=["{Dem} voters head to the polls as {p1} seeks new term",
            "{P2} leads in final {dem} election polls",
            "{Country} election: {party} and {party2} neck and neck",
            "Turnout high in {dem} election, commission says",
            "{P1} concedes ground as {dem} vote count continues",
            "{Dem} election campaign enters final week",
            "Coalition talks loom after tight {dem} election",
            "{P2} claims victory in {dem} parliamentary election"],
    leads=["Voters in {country} cast ballots on {weekday} in a parliamentary election that "
           "polls showed as too close to call, with {p1} seeking a new mandate.",
           "{P2} said on {weekday} that the {party2} was on course to win the {dem} election, "
           "as early results showed the governing {party} losing seats.",
           "The campaign for {country}'s general election entered its last week on {weekday}, "
           "with {p1} and {p2} trading accusations over the cost of living.",
           "{Org} said turnout in the {dem} election reached {pct} percent by late afternoon, "
           "the highest in more than a decade."],
    body=["The {party} has governed for {n_small} years, and {p1} has campaigned on a promise "
          "of tax cuts and new public housing.",
          "Opinion polls published over the weekend gave the {party2} a lead of about "
          "{n_small} points.",
          "{Org} said {n_big} polling stations opened on time and that it had received only "
          "minor complaints.",
          "{interior} told reporters that security at polling stations in "
          "{city} had been reinforced.",
          "Analysts said the result could force the {party} into a coalition with smaller "
          "parties for the first time since 2011.",
          "The election is seen as a test of {p1}'s handling of inflation and a series of "
          "corruption allegations involving a former minister.",
          "In {city}, queues formed outside schools used as polling stations well before "
          "they opened.",
          "{P2}, a former finance minister, has promised to raise public sector wages and to "
          "review the pension reform passed last year.",
          "Official results are expected by {weekday2} morning, {org} said.",
          "Several ministers in the outgoing cabinet are standing for re-election in marginal "
          "districts.",
          "Younger voters have shifted towards the {party2}, according to exit polls.",
          "Parliament has {n_big} seats and a majority requires more than half of them.",
          "Election observers from neighbouring countries said voting was orderly."],
    quotes=["\"The people of {country} want change and they have said so today,\" said {p2}.",
            "\"We will respect the result whatever it is,\" said {p1}.",
            "\"This is the most fragmented vote we have seen in a generation,\" said {p3}.",
            "\"Turnout in the cities was stronger than we expected,\" said {p3}."],
)

T["central_banks"] = dict(
    titles=["{Org} cuts interest rates to {rate_new}%",
            "{Org} holds rates steady as inflation eases",
            "Central bank raises rates in {country} to fight inflation",
            "{P1} signals more rate cuts ahead",
            "{Dem} central bank surprises markets with rate move",
            "Inflation in {country} slows to {infl}%, central bank eyes cuts"],
    leads=["{Org} cut its benchmark interest rate by {bps} basis points to {rate_new} percent "
           "on {weekday}, citing slowing inflation and weak growth.",
           "{Org} left its main interest rate unchanged at {rate_old} percent on {weekday}, "
           "saying it needed more evidence that inflation was falling.",
           "The central bank of {country} raised its key rate to {rate_up} percent on "
           "{weekday}, its first increase in more than a year, as the currency weakened.",
           "{P1} said on {weekday} that the central bank was prepared to lower borrowing costs "
           "further if inflation continued to ease."],
    body=["Annual consumer price inflation slowed to {infl} percent last month from "
          "{infl_prev} percent, official data showed.",
          "The decision was widely expected by economists polled before the meeting.",
          "The central bank said growth had been weaker than forecast in the second quarter.",
          "{finance} welcomed the decision and said the government would "
          "keep spending under control.",
          "Bond yields fell after the announcement and the {dem} currency slipped against "
          "the dollar.",
          "Two members of the monetary policy committee voted to keep rates unchanged.",
          "{P1} told a news conference in {capital} that the central bank was not on a "
          "pre-set path.",
          "The central bank's next policy meeting is scheduled for {month2}.",
          "Mortgage lenders said they expected to pass on the lower interest rates within "
          "weeks.",
          "Core inflation, which strips out food and energy prices, remained at {infl} "
          "percent.",
          "Markets had priced in a cut of {bps} basis points, according to futures data.",
          "The central bank also lowered its growth forecast for next year to {growth} "
          "percent."],
    quotes=["\"Inflation is moving in the right direction but the job is not done,\" "
            "said {p1}.",
            "\"The central bank has room to cut again before the end of the year,\" said {p3}.",
            "\"Households will feel the relief of lower interest rates only slowly,\" "
            "said {p3}."],
)

T["storms"] = dict(
    titles=["{Storm} batters {country}, thousands evacuated",
            "Flood warnings issued as {storm} approaches {city}",
            "{Storm}: death toll rises to {deaths} in {country}",
            "Floods cut power to {n_big} homes in {city}",
            "{Org} raises storm alert to highest level",
            "Clean-up begins in {city} after {storm} floods"],
    leads=["{Storm} made landfall near {city} on {weekday}, bringing winds of up to "
           "{wind} km per hour and forcing thousands of people from their homes.",
           "Flooding caused by heavy rain killed at least {deaths} people in {country} on "
           "{weekday}, officials said, as rivers burst their banks.",
           "{Org} issued a red flood warning for {city} and surrounding districts on "
           "{weekday}, urging residents to move to higher ground.",
           "Rescue teams searched flooded villages near {city} on {weekday} after {storm} "
           "dumped more than {rain} millimetres of rain in 24 hours."],
    body=["{Org} said the storm was expected to weaken as it moved inland.",
          "Power was cut to about {n_big} homes, the grid operator said.",
          "Schools in {city} were closed and train services suspended.",
          "{interior} said the army had been deployed to help with "
          "evacuations.",
          "Flood water reached the first floor of houses in low-lying districts.",
          "Farmers said the floods had destroyed much of the harvest in the region.",
          "The storm is the {ordinal} to hit {country} this season.",
          "{P2} said rainfall totals were the highest recorded since 1998.",
          "Emergency shelters were opened in sports halls and schools.",
          "Insurers estimated early losses at {money} million dollars.",
          "Bridges on the main highway south of {city} were closed because of flood damage.",
          "{mayor} of {city} said drinking water supplies were safe."],
    quotes=["\"We have never seen flooding like this in {city},\" said one resident.",
            "\"The next 48 hours will be critical,\" said {p2}.",
            "\"Climate change is making storms like this more frequent and more intense,\" "
            "said {p3}."],
)

T["trade"] = dict(
    titles=["{Country} imposes tariffs on {country2} {goods}",
            "{Dem} exports fall {pct}% as trade dispute deepens",
            "{Country} and {country2} reach trade deal on {goods}",
            "{P1} warns of retaliation over {goods} tariffs",
            "Trade talks between {country} and {country2} stall"],
    leads=["{Country} said on {weekday} it would impose tariffs of {pct} percent on imports "
           "of {goods} from {country2}, escalating a dispute that has unsettled markets.",
           "{p1} said on {weekday} that {country} and {country2} had agreed "
           "to cut duties on {goods}, ending months of negotiations.",
           "Exports from {country} fell {pct} percent in the latest quarter, official data "
           "showed on {weekday}, as tariffs hit shipments of {goods}."],
    body=["{Org} said it would examine a complaint filed by {country2}.",
          "The tariffs take effect on the first day of next month.",
          "{Company} said the measures would raise its costs and could lead to job cuts.",
          "{country2} is {country}'s {ordinal} largest trading partner.",
          "Shipments of {goods} through the port of {city} have already slowed.",
          "Business groups urged both governments to return to talks.",
          "The dispute began after {country2} accused {country} of subsidising producers of "
          "{goods}.",
          "Officials from both countries are due to meet in {capital} next week.",
          "Economists warned that a prolonged trade war could cut growth by half a "
          "percentage point.",
          "The trade deficit with {country2} widened to {money} million dollars."],
    quotes=["\"We will defend our producers by every legal means,\" said {p1}.",
            "\"Tariffs are a tax paid by consumers at home,\" said {p3}.",
            "\"Nobody wins a trade war,\" said {p3}."],
)

T["energy"] = dict(
    titles=["Oil prices jump as {org} agrees output cut",
            "Oil falls below ${oil} a barrel on demand worries",
            "{Company} profit rises on higher oil prices",
            "{Country} to build new gas pipeline, {p1} says",
            "Energy prices push {dem} inflation higher",
            "Fuel prices climb as oil rallies"],
    leads=["Oil prices rose more than {pct} percent on {weekday} after {org} agreed to "
           "reduce output, lifting benchmark crude to ${oil} a barrel.",
           "Benchmark crude fell to ${oil} a barrel on {weekday}, its lowest level in months, "
           "on concern about weak demand in Asia.",
           "{Company} reported a rise in quarterly profit on {weekday}, helped by higher oil "
           "and gas prices and strong refining margins.",
           "{p1} said on {weekday} that {country} would speed up approval of "
           "wind and solar projects to cut its reliance on imported gas."],
    body=["{Org} members meet again in {month2} to review production levels.",
          "Gasoline prices in {country} have risen for {n_small} straight weeks.",
          "{Company} said it would raise its dividend and buy back shares.",
          "Analysts said the oil market remained well supplied despite the cut.",
          "Natural gas prices in Europe also rose on the news.",
          "The government cut fuel taxes last year to cushion households from high energy "
          "prices.",
          "Crude inventories rose by {n_small} million barrels last week.",
          "{ceo} said the company would invest {money} million dollars in "
          "new offshore fields.",
          "Energy costs account for about a fifth of the consumer price index.",
          "A new pipeline from {city} to the coast is due to open in two years."],
    quotes=["\"The market is nervous and every headline moves prices,\" said {p3}.",
            "\"Energy security is national security,\" said {p1}.",
            "\"We expect oil prices to stay volatile through the winter,\" said {p3}."],
)

T["sports"] = dict(
    titles=["{Team} beat {team2} {score} to reach {cup} final",
            "{Team} sack coach after poor run",
            "{P2} double sends {team} top of the league",
            "{Team} and {team2} draw in {city} derby",
            "{Cup}: {team} win title after penalty shootout"],
    leads=["{Team} beat {team2} {score} on {weekday} to reach the final of the {cup}, with "
           "{p2} scoring twice in the second half.",
           "{Team} dismissed {p1} on {weekday} after a run of {n_small} matches without a "
           "win left the club near the bottom of the table.",
           "{Team} and {team2} drew in front of a sell-out crowd in {city} on {weekday}, "
           "leaving the title race wide open."],
    body=["The match was played in heavy rain.",
          "{P2} has now scored {n_small} goals this season.",
          "The visitors had a goal disallowed for offside shortly before half-time.",
          "More than {n_big} fans travelled to {city} for the game.",
          "{P1} said the team had shown great character.",
          "The club's owners said a new coach would be named within days.",
          "The final will be played in {capital} next month.",
          "{Team2} had won their previous five matches.",
          "The league has been hit by a series of injuries to key players.",
          "Tickets for the final sold out within hours."],
    quotes=["\"We believed until the last minute,\" said {p1}.",
            "\"It is the best night of my career,\" said {p2}.",
            "\"The fans deserved this,\" said {p1}."],
)

T["technology"] = dict(
    titles=["{Company} unveils new AI chip",
            "{Company} hit by data breach affecting {n_big} users",
            "Regulators fine {company} over data protection failures",
            "{Company} shares surge on strong cloud demand",
            "{Company} to cut {n_small}00 jobs in restructuring",
            "{Country} launches inquiry into {company}"],
    leads=["{Company} unveiled a new artificial intelligence chip on {weekday}, saying it "
           "would cut the energy used by data centres by a third.",
           "{Company} said on {weekday} that hackers had accessed the personal data of about "
           "{n_big} customers, including email addresses and phone numbers.",
           "{Org} fined {company} {money} million dollars on {weekday} for failing to "
           "protect user data.",
           "Shares of {company} rose {pct} percent on {weekday} after the company reported "
           "strong demand for its cloud computing services."],
    body=["{ceo} said the company would open a new research centre in {city}.",
          "The company said it had informed {org} and affected customers.",
          "{Org} said its investigation had found serious security lapses.",
          "The chip will be manufactured in {country} from next year.",
          "Rivals are racing to build software that can run AI models on phones and laptops.",
          "{Company} employs about {n_big} people worldwide.",
          "The company said no payment data had been exposed.",
          "Revenue rose {pct} percent to {money} million dollars in the quarter.",
          "The government has promised new rules on artificial intelligence by the end of "
          "the year.",
          "The company plans to appeal the fine."],
    quotes=["\"This is a step change in what our customers can do,\" said {ceo}.",
            "\"Companies that hold personal data must protect it,\" said {p1}.",
            "\"Investors are rewarding growth in AI above everything else,\" said {p3}."],
)

T["health"] = dict(
    titles=["{Country} reports surge in {disease} cases",
            "Hospitals in {city} under strain as {disease} spreads",
            "{Org} warns of {disease} outbreak",
            "{Country} launches vaccination drive against {disease}",
            "Health minister announces new hospital funding"],
    leads=["Health authorities in {country} reported {n_big} new cases of {disease} on "
           "{weekday}, the highest weekly total this year.",
           "{Org} urged governments on {weekday} to step up vaccination after an outbreak of "
           "{disease} spread to {n_small} regions of {country}.",
           "{p1} said on {weekday} that {country} would spend {money} million "
           "dollars on new hospital beds and staff."],
    body=["Hospitals in {city} have postponed routine operations to free up beds.",
          "{Org} said vaccination rates had fallen since the pandemic.",
          "Doctors' unions have warned of staff shortages in public hospitals.",
          "{Company} said it could double production of the vaccine within months.",
          "Most of the cases were among children under five.",
          "The ministry said it would open vaccination centres in schools.",
          "Health workers in rural areas said they lacked basic supplies.",
          "Officials said the outbreak appeared to have begun in {city}.",
          "The health ministry has asked people with symptoms to stay at home.",
          "Waiting lists for surgery have grown by {pct} percent in two years."],
    quotes=["\"This outbreak was preventable,\" said {p2}.",
            "\"We are doing everything we can to contain the spread,\" said {p1}.",
            "\"Public health systems need sustained investment, not emergency cash,\" "
            "said {p3}."],
)

T["courts"] = dict(
    titles=["{Org} rules against government on {issue}",
            "Court convicts former minister of corruption",
            "{Company} loses appeal in {org}",
            "Judge orders release of detained journalists in {country}",
            "Landmark ruling on {issue} from {dem} court"],
    leads=["{Org} of {country} ruled on {weekday} that the government's law on {issue} "
           "was unconstitutional, in a blow to {pm}.",
           "A court in {capital} convicted a former transport minister of corruption on "
           "{weekday} and sentenced him to {n_small} years in prison.",
           "{Company} lost its appeal against a {money} million dollar fine on {weekday} "
           "after {org} upheld a lower court ruling."],
    body=["{P1} wrote that the law violated the right to a fair hearing.",
          "Prosecutors said they would study the ruling before deciding whether to appeal.",
          "The case was brought by a group of lawyers and civil society organisations.",
          "The government said it respected the decision of the court.",
          "Defence lawyers said the trial had been politically motivated.",
          "The ruling cannot be appealed.",
          "The case had been watched closely by investors and rights groups.",
          "Protesters gathered outside the court building in {capital}.",
          "The court gave parliament {n_small} months to amend the law.",
          "The company said it was considering its options."],
    quotes=["\"Today the rule of law has prevailed,\" said one of the lawyers.",
            "\"The court has spoken and the government will comply,\" said {pm}.",
            "\"This ruling will shape how the law on {issue} is applied for years,\" "
            "said {p3}."],
)

T["immigration"] = dict(
    titles=["{Country} tightens asylum rules",
            "Border crossings into {country} rise {pct}%",
            "{Org} reports record migrant arrivals",
            "{P1} defends deportation policy",
            "Migrants rescued off coast near {city}"],
    leads=["{Country} will tighten rules for asylum seekers and speed up deportations, "
           "{p1} said on {weekday}.",
           "{Org} said on {weekday} that irregular border crossings into {country} rose "
           "{pct} percent in the first half of the year.",
           "Coast guard vessels rescued {n_small}0 migrants from an overcrowded boat near "
           "{city} on {weekday}, officials said."],
    body=["Rights groups criticised the plan, saying it would deny protection to people "
          "fleeing war.",
          "{Org} said it would hire {n_big} new border guards.",
          "Most of the migrants came from countries in conflict.",
          "Asylum applications reached {n_big} last year.",
          "The opposition accused the government of using migrants as a political issue.",
          "Reception centres near {city} are operating above capacity.",
          "The new rules must still be approved by parliament.",
          "Employers in farming and construction say they depend on migrant workers.",
          "The interior ministry said deportations had doubled since January.",
          "Officials from {country} and {country2} met to discuss border cooperation."],
    quotes=["\"We must control our borders and treat people with dignity,\" said {p1}.",
            "\"These rules will push people into the hands of smugglers,\" said {p3}.",
            "\"The system is overwhelmed,\" said one official in {city}."],
)

BACKGROUND = [
    "The announcement came as {country} prepares for a difficult budget round.",
    "{Country} has a population of about {pop} million.",
    "Officials did not respond to requests for further comment.",
    "The government is due to publish new economic forecasts next month.",
    "The issue has dominated debate in parliament for weeks.",
]

ISSUES = ["public protest", "press freedom", "pension reform", "surveillance",
          "state subsidies", "land ownership"]


def rnd_slots(rng, topic, world, event):
    """The slot values for one story (an event reuses its own fixed choices)."""
    r = rng
    c = event["country"] if event else r.choice(COUNTRIES)
    c2 = r.choice([x for x in COUNTRIES if x is not c])
    P = lambda role: world.people[(c[0], role)]  # noqa: E731
    rate_old = round(r.uniform(1.5, 9.0) * 4) / 4
    bps = r.choice([25, 25, 25, 50, 75])
    rate_new = max(0.25, rate_old - bps / 100)
    infl = round(r.uniform(1.8, 7.5), 1)
    s = dict(
        country=c[0], dem=c[1], capital=c[2], city=r.choice([c[2]] + c[3]),
        country2=c2[0],
        firm=r.choice(FIRMS), p3=r.choice(world.analysts),
        weekday=None, weekday2=None, month2=r.choice(MONTHS),
        n_small=lambda: r.randint(2, 9), n_big=lambda: "{:,}".format(r.randint(12, 950) * 100),
        pct=lambda: r.randint(3, 40), money=lambda: r.randint(12, 900),
        pop=r.randint(5, 200), ordinal=r.choice(["second", "third", "fourth", "fifth"]),
        interior=P("Interior Minister"), finance=P("Finance Minister"),
        mayor=P("Mayor"), pm=P("Prime Minister"),
        rate_old="{:.2f}".format(rate_old), rate_new="{:.2f}".format(rate_new), bps=bps,
        rate_up="{:.2f}".format(rate_old + bps / 100),
        infl=infl, infl_prev=round(infl + r.uniform(0.2, 1.5), 1),
        growth=round(r.uniform(0.4, 3.2), 1),
        oil=r.randint(58, 96), wind=r.randint(90, 210), rain=r.randint(120, 480),
        deaths=r.randint(3, 60), issue=r.choice(ISSUES),
        score="{}-{}".format(r.randint(1, 4), r.randint(0, 1)),
    )
    s["org"] = Org("Electoral Commission of " + c[0])
    if topic == "elections":
        s.update(p1=P("Prime Minister"), p2=P("opposition leader"),
                 party=r.choice(PARTIES), org=Org("National Electoral Commission", "NEC"))
        s["party2"] = r.choice([p for p in PARTIES if p != s["party"]])
    elif topic == "central_banks":
        s.update(p1=P("central bank Governor"), org=Org("Central Bank of " + c[0],
                 "CB" + "".join(w[0] for w in c[0].split())))
    elif topic == "storms":
        s.update(p1=P("Interior Minister"), p2=P("chief forecaster"),
                 org=r.choice([Org("National Weather Agency", "NWA"),
                               Org(c[1] + " Meteorological Service")]))
        name = event["storm"] if event else r.choice(STORM_KINDS) + " " + r.choice(STORM_NAMES)
        s["storm"] = name
    elif topic == "trade":
        s.update(p1=P("Trade Minister"), company=r.choice(TRADE_COS), goods=r.choice(GOODS),
                 org=Org("Global Trade Organization", "GTO"))
    elif topic == "energy":
        co = r.choice(ENERGY_COS)
        s.update(p1=P("Energy Minister"), company=co, ceo=world.ceos[co],
                 org=Org("Federation of Petroleum Exporting Nations", "FPEN"))
    elif topic == "sports":
        cities = [c[2]] + c[3]
        t1, t2 = r.sample(cities, 2)
        s.update(p1=r.choice(world.coaches), p2=r.choice(world.players),
                 team=t1 + " " + r.choice(SPORT_SUFFIX), team2=t2 + " " + r.choice(SPORT_SUFFIX),
                 cup=r.choice(["Continental Cup", "National Cup", "Champions Shield"]))
    elif topic == "technology":
        co = r.choice(TECH_COS)
        s.update(p1=P("Interior Minister"), company=co, ceo=world.ceos[co],
                 org=r.choice([Org("Data Protection Office", "DPO"),
                               Org("Digital Competition Authority", "DCA")]))
    elif topic == "health":
        s.update(p1=P("Health Minister"), p2=P("opposition leader"),
                 company=r.choice(HEALTH_COS), disease=r.choice(DISEASES),
                 org=Org("Global Health Alliance", "GHA"))
    elif topic == "courts":
        s.update(p1=P("Justice"), company=r.choice(TRADE_COS + TECH_COS + ENERGY_COS),
                 org=r.choice([Org("Supreme Court"), Org("Constitutional Court")]))
    elif topic == "immigration":
        s.update(p1=P("Interior Minister"), org=Org("Border Protection Agency", "BPA"))
    if event:
        s.update(event.get("fixed", {}))
    return s


TOPICS = list(T)


def make_events(rng, world, count):
    """Fixed news events that spike in time (scaled with the corpus size)."""
    def ev(topic, country, day, spread, n, before=0.0, **kw):
        c = next(x for x in COUNTRIES if x[0] == country)
        e = dict(topic=topic, country=c, day=dt.date.fromisoformat(day), spread=spread,
                 n=max(1, round(n * count / 3000)), before=before)
        e.update(kw)
        return e
    evs = [
        ev("health", "India", "2024-03-11", 12, 70),
        ev("elections", "Spain", "2024-05-26", 6, 90, before=0.5),
        ev("sports", "Germany", "2024-07-14", 3, 50, before=0.4),
        ev("central_banks", "Japan", "2024-08-05", 4, 60),
        ev("storms", "the Philippines", "2024-09-12", 4, 90, storm="Typhoon Mirae"),
        ev("elections", "Brazil", "2024-10-06", 5, 100, before=0.5),
        ev("elections", "Germany", "2025-02-23", 6, 110, before=0.5),
        ev("central_banks", "Canada", "2025-03-19", 5, 70),
        ev("trade", "Mexico", "2025-04-03", 9, 100),
        ev("energy", "Nigeria", "2025-04-14", 6, 80),
        ev("storms", "Spain", "2025-05-20", 5, 80, storm="Storm Dalia"),
        ev("immigration", "Italy", "2025-08-18", 8, 60),
        ev("technology", "South Korea", "2025-10-02", 5, 60),
        ev("courts", "Poland", "2025-11-20", 4, 50),
    ]
    # Articles about one event agree on its particulars.
    for e in evs:
        f = e["fixed"] = {}
        if e["topic"] == "elections":
            f["party"], f["party2"] = rng.sample(PARTIES, 2)
        elif e["topic"] == "trade":
            f["goods"] = rng.choice(GOODS)
            f["country2"] = "United States"
        elif e["topic"] == "health":
            f["disease"] = rng.choice(DISEASES)
        elif e["topic"] == "energy":
            f["company"] = rng.choice(ENERGY_COS)
            f["ceo"] = world.ceos[f["company"]]
        elif e["topic"] == "technology":
            f["company"] = rng.choice(TECH_COS)
            f["ceo"] = world.ceos[f["company"]]
        elif e["topic"] == "courts":
            f["issue"] = rng.choice(ISSUES)
            f["org"] = Org("Constitutional Court")
    return evs


def event_date(rng, e):
    off = rng.expovariate(1.0 / e["spread"])
    if rng.random() < e["before"]:
        off = -off
    d = e["day"] + dt.timedelta(days=int(round(off)))
    return min(max(d, START), END)


def pick(rng, templates, k):
    return rng.sample(templates, min(k, len(templates)))


def build_article(rng, world, topic, date, event):
    """One article: (title, paragraphs as lists of sentences, entities, slots).

    Templates are chosen and ordered first and filled afterwards, in reading order, so the
    first mention of a person or agency (with title or acronym) comes before the short form.
    """
    t = T[topic]
    slots = rnd_slots(rng, topic, world, event)
    slots["weekday"] = WEEKDAYS[date.weekday()]
    slots["weekday2"] = WEEKDAYS[(date.weekday() + 1) % 7]
    sentences = pick(rng, t["body"], rng.randint(5, 9))
    if topic != "sports":
        sentences += pick(rng, BACKGROUND, rng.randint(0, 2))
    for q in pick(rng, t["quotes"], rng.randint(1, 2)):
        sentences.insert(rng.randint(1, len(sentences)), q)
    paras, i = [[rng.choice(t["leads"])]], 0
    while i < len(sentences):
        n = rng.choice([1, 2, 2, 3])
        paras.append(sentences[i:i + n])
        i += n
    m = Mentions(slots)
    paras = [[x.format_map(m) for x in p] for p in paras]
    tm = Mentions(slots, title_mode=True)
    title = rng.choice(t["titles"]).format_map(tm)
    ents = {"people": m.people, "orgs": m.orgs, "places": m.places}
    for k, lst in (("people", tm.people), ("orgs", tm.orgs), ("places", tm.places)):
        for x in lst:
            if x not in ents[k]:
                ents[k].append(x)
    return title, paras, ents, slots


def slugify(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:60]


def body_text(paras, dateline):
    text = [" ".join(p) for p in paras]
    if dateline:
        text[0] = dateline + " " + text[0]
    return "\n\n".join(text)


def generate(count, seed):
    rng = random.Random(seed)
    world = World(rng)
    events = make_events(rng, world, count)
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    # Weekend volume is about 40% of weekdays; a slow rise over the two years.
    weights = [(0.4 if d.weekday() >= 5 else 1.0) * (1.0 + 0.25 * i / len(days))
               for i, d in enumerate(days)]
    plan = []
    for e in events:
        plan += [(e["topic"], event_date(rng, e), e) for _ in range(e["n"])]
    ndup = count // 50
    plan = plan[:max(0, count - ndup)]
    rest = max(0, count - len(plan) - ndup)
    for d in rng.choices(days, weights=weights, k=rest):
        plan.append((rng.choice(TOPICS), d, None))
    arts = []
    for topic, d, e in plan:
        title, paras, ents, slots = build_article(rng, world, topic, d, e)
        city = slots["city"]
        hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 8, 8, 8, 8,
                                              7, 7, 6, 5, 4, 3, 2, 1])[0]
        when = dt.datetime(d.year, d.month, d.day, hour, rng.randint(0, 59), rng.randint(0, 59))
        src = rng.choice(OUTLETS)
        dateline = ""
        if rng.random() < 0.45:
            dateline = "{}, {} {} -".format(city.upper(), MONTHS[d.month - 1], d.day)
            if city not in ents["places"]:
                ents["places"].append(city)
        arts.append(dict(title=title, paras=paras, ents=ents, when=when, src=src, slots=slots,
                         dateline=dateline, topic=topic,
                         authors=[p.name for p in rng.sample(world.reporters[src[0]],
                                                             rng.choice([0, 1, 1, 1, 2]))]))
    # Near-duplicate wire copies: a wire story re-sent later with a new headline and one
    # sentence dropped.
    for a in rng.sample(arts, min(ndup, len(arts))):
        paras = [list(p) for p in a["paras"]]
        cand = [(i, j) for i, p in enumerate(paras) for j in range(len(p)) if i > 0]
        if cand:
            i, j = rng.choice(cand)
            del paras[i][j]
            paras = [p for p in paras if p]
        prefix = rng.choice(["UPDATE 1-", "UPDATE 2-", "REFILE-", ""])
        title = a["title"]
        if not prefix:
            for _ in range(4):
                title = rng.choice(T[a["topic"]]["titles"]).format_map(
                    Mentions(a["slots"], title_mode=True))
                if title != a["title"]:
                    break
        title = prefix + title
        dup = dict(a, title=title, paras=paras,
                   when=a["when"] + dt.timedelta(minutes=rng.randint(20, 300)),
                   src=rng.choice([o for o in OUTLETS if o[0] in WIRES]))
        arts.append(dup)
    arts.sort(key=lambda a: (a["when"], a["title"]))
    out = []
    for n, a in enumerate(arts, 1):
        w = a["when"]
        if w.date() > END:
            w = dt.datetime(END.year, END.month, END.day, 23, 59, 0)
        aid = "demo-{:06d}".format(n)
        rec = dict(
            id=aid, title=a["title"], body=body_text(a["paras"], a["dateline"]),
            date=w.strftime("%Y-%m-%dT%H:%M:%SZ"), source=a["src"][0],
            url="https://www.{}.example/{:%Y/%m/%d}/{}-{}".format(
                a["src"][1], w, slugify(a["title"]), n),
            lang="en", authors=a["authors"], entities=a["ents"])
        out.append(rec)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=3000, help="number of articles")
    ap.add_argument("--seed", type=int, default=7, help="random seed (output is deterministic)")
    ap.add_argument("output", help="JSON Lines file to write ('-' for stdout)")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be at least 1")
    recs = generate(args.count, args.seed)
    fh = sys.stdout if args.output == "-" else None
    if fh is None:
        d = os.path.dirname(args.output)
        if d:
            os.makedirs(d, exist_ok=True)
        tmp = args.output + ".tmp"
        fh = open(tmp, "w", encoding="utf-8")
    for r in recs:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if fh is not sys.stdout:
        fh.close()
        os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
