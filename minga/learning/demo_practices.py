# ruff: noqa: E501 -- prose: long lines of text read better than strings cut mid-sentence
"""The demo's practices: invented, written for Minga, realistic enough that search and Ask are useful.

Each entry: title, summary, problem, method, context, evidence, tags, status, visibility.
"""

from __future__ import annotations

from typing import Any

PRACTICES: list[dict[str, Any]] = [
    {
        "title": "Savings circles with a three-key lockbox",
        "summary": "Fifteen to twenty-five neighbours save a fixed share every week and lend from the pot.",
        "problem": (
            "Most members have no bank account within reach and cannot borrow small sums without paying a "
            "moneylender up to 20% a month. Money kept at home disappears into daily needs."
        ),
        "method": (
            "The group agrees a written constitution before the first meeting with money. Every week each "
            "member buys one to five shares at a fixed price. Savings go into a metal lockbox with three "
            "padlocks; three different members hold the keys and the box stays with a fourth member, so "
            "nobody can open it alone.\n\n"
            "Loans are given only at meetings, in front of everybody, for up to three times the borrower's "
            "savings and for at most three months, at a monthly service charge the group voted on (usually "
            "5%). The record keeper writes every transaction in the members' passbooks and the group ledger "
            "and reads the balance aloud at the end of the meeting.\n\n"
            "After nine to twelve months the cycle ends with a share-out: all loans are repaid, the pot is "
            "counted and divided in proportion to the shares each member bought."
        ),
        "context": (
            "Started by a women's group in a peri-urban settlement; it works in villages and informal "
            "settlements alike. It needs members who live close enough to meet weekly."
        ),
        "evidence": (
            "In the first cycle the 22 members saved the equivalent of 1,900 US dollars and nobody lost "
            "money. Repayment was 98%. Eleven members used loans to restock small shops."
        ),
        "tags": ["savings", "livelihoods", "women", "credit"],
        "status": "proven",
    },
    {
        "title": "Social fund for emergencies inside the savings group",
        "summary": "A small separate contribution each week pays grants when a member faces a funeral or illness.",
        "problem": (
            "When a member had a funeral or a hospital bill they took a loan they could not repay, and the "
            "savings group was put at risk."
        ),
        "method": (
            "Besides their shares, every member pays a small equal amount into a social fund at each meeting. "
            "The social fund is kept in a separate bag inside the lockbox and is never lent out. The group "
            "decides in its constitution which events qualify, for example the death of a close relative, "
            "a hospital stay or a house fire, and the size of the grant. Grants are paid at once, without "
            "interest and without repayment. The social fund is not shared out at the end of the cycle."
        ),
        "context": "Added by savings circles in their second cycle.",
        "evidence": (
            "Groups with a social fund had fewer late loans: late repayments fell from one in eight loans "
            "to one in twenty-five."
        ),
        "tags": ["savings", "solidarity", "health"],
        "status": "promising",
    },
    {
        "title": "Paper-first community data collection",
        "summary": "Trained volunteers collect household data on paper forms and enter it together on one phone.",
        "problem": (
            "Groups were asked to report numbers but had no reliable way to collect them. Phone apps failed "
            "when there was no network or the battery died, and volunteers lost trust in the data."
        ),
        "method": (
            "Each group chooses two or three data collectors. They attend a one-day training on the forms, "
            "on asking for consent and on keeping answers private. Forms are printed on paper with tick boxes "
            "and short numbers only, no names of children.\n\n"
            "Collectors visit households during the first two weeks of each quarter. At a data evening, the "
            "collectors and the group's secretary enter the forms together into one phone, checking each "
            "form twice. Paper forms are then locked away and destroyed after a year."
        ),
        "context": "Used by rural groups with poor mobile coverage; works anywhere a phone can sync once a week.",
        "evidence": (
            "Missing answers dropped from about 30% to under 5%. The quarterly data evening became a place "
            "where members discuss what the numbers mean."
        ),
        "tags": ["data", "measurement", "volunteers", "privacy"],
        "status": "proven",
    },
    {
        "title": "Community scorecard with the health clinic",
        "summary": "Users and clinic staff score the service separately, then meet to agree on an action plan.",
        "problem": (
            "Members complained about waiting times and missing medicines at the local clinic, but complaints "
            "made one by one changed nothing and made staff defensive."
        ),
        "method": (
            "The group agrees five to seven things to score, such as waiting time, respect from staff, "
            "availability of medicines and cleanliness. Patients score each item from one to five in small "
            "focus groups; clinic staff score the same items themselves. An interface meeting then brings "
            "both sides together with a neutral facilitator to compare scores and agree three actions, each "
            "with a person responsible and a date. The scorecard is repeated every six months."
        ),
        "context": "Works with clinics, schools and water committees; needs a clinic in-charge willing to join.",
        "evidence": (
            "After two rounds the average waiting time reported by patients fell from three hours to just "
            "over one hour, and the clinic put up a list of available medicines."
        ),
        "tags": ["accountability", "health", "advocacy", "local government"],
        "status": "promising",
    },
    {
        "title": "Preparing for the municipal budget hearing",
        "summary": "Groups bring one costed priority, with evidence and a spokesperson, to the council's hearing.",
        "problem": (
            "Every year the municipal council holds public budget hearings, but residents arrived with long "
            "lists of complaints and left with nothing in the budget."
        ),
        "method": (
            "Six weeks before the hearing, the group holds a priority meeting and chooses one priority only. "
            "Volunteers collect evidence: photographs, the number of households affected and a rough cost "
            "obtained from the council's engineer or a local contractor. The group writes a one-page brief "
            "and chooses two spokespeople, one of them a young person. They rehearse answering hard questions. "
            "At the hearing they hand the brief to each councillor and ask for a written reply. Afterwards "
            "they follow up with the ward councillor every month until the budget is approved."
        ),
        "context": "Municipal councils that run open budget hearings; adapted for district assemblies.",
        "evidence": (
            "Of eleven groups that used this method, seven saw their priority funded, including two footbridges "
            "and a borehole repair."
        ),
        "tags": ["advocacy", "local government", "budget", "youth"],
        "status": "proven",
    },
    {
        "title": "Peer mentoring pairs for new group leads",
        "summary": "Each new lead is paired for six months with an experienced lead from a nearby group.",
        "problem": (
            "New group leads felt alone; many groups went dormant in the year after their founder stepped down."
        ),
        "method": (
            "The network coordinator pairs every new lead with a mentor from a group that has run for at least "
            "two years, ideally one they can reach on foot or by a short bus ride. The pair meets once a month "
            "for the first six months, alternating between the two groups so each sees the other at work. "
            "They use a simple mentoring log with three questions: what went well, what was hard, what will "
            "you try next. Mentors get a small travel allowance and meet each other once a quarter to share "
            "what they learn."
        ),
        "context": "Across the network layer; pairs are matched within a district.",
        "evidence": (
            "Groups whose lead had a mentor were half as likely to go dormant within a year (12% against 25%)."
        ),
        "tags": ["mentoring", "leadership", "peer learning"],
        "status": "promising",
    },
    {
        "title": "Youth-led mapping of water points",
        "summary": "Young people walk the area with a printed map and record every tap, well and borehole.",
        "problem": (
            "Nobody knew how many water points worked; the water office's list was ten years old, so repairs "
            "were never planned."
        ),
        "method": (
            "Pairs of young volunteers receive a printed satellite map of their zone. For each water point they "
            "mark the location, take a photograph, note whether it works, how long the queue is at seven in "
            "the morning and who manages it. A water point that does not work gets a red sticker on the map. "
            "The maps are combined at a mapping party and the results are presented to the water office."
        ),
        "context": "Informal settlements and villages; done in the dry season when shortages are worst.",
        "evidence": (
            "The first map found 64 water points, 19 of them broken; the water office repaired 11 within "
            "four months."
        ),
        "tags": ["youth", "mapping", "water", "data"],
        "status": "promising",
    },
    {
        "title": "Market price bulletin by text message",
        "summary": "A volunteer sends the week's prices at three markets to farmer members every Monday.",
        "problem": "Farmers sold to traders at the farm gate without knowing prices at the market in town.",
        "method": (
            "Three volunteers who visit the markets on Saturday note the prices of the five main crops. On "
            "Monday one volunteer sends a short text message to all farmer members with the prices and the "
            "change from last week. Members agree a minimum price among themselves before traders come."
        ),
        "context": "Farming groups within reach of two or three markets.",
        "evidence": "Members reported selling maize for about 15% more than neighbours who did not get the bulletin.",
        "tags": ["livelihoods", "farming", "markets"],
        "status": "emerging",
    },
    {
        "title": "Community seed bank and seed fair",
        "summary": "Members store local seed varieties together and exchange them at a yearly fair.",
        "problem": "Local seed varieties were disappearing and bought seed was expensive and often failed in drought.",
        "method": (
            "The group keeps seed in sealed clay pots or clean jerrycans in a cool dry room, each labelled with "
            "the variety, the farmer and the harvest date. A member borrows a kilogram of seed at planting and "
            "returns two kilograms after harvest. Once a year the group holds a seed fair where farmers from "
            "other groups exchange varieties and tell what grew well."
        ),
        "context": "Dryland farming areas.",
        "evidence": "The seed bank holds 37 varieties; germination tests show over 80% for most of them.",
        "tags": ["farming", "seeds", "climate"],
        "status": "promising",
    },
    {
        "title": "Women's safety walks",
        "summary": "Women walk their neighbourhood at dusk and note where they feel unsafe and why.",
        "problem": "Women avoided walking after dark, which limited work and schooling, but nobody had a precise list of the dangers.",
        "method": (
            "Groups of five to eight women walk a planned route at dusk with a checklist: lighting, hiding "
            "places, escape routes, people around, and how they feel. They mark unsafe spots on a map and "
            "photograph them. The findings are presented to the ward office and the police post with concrete "
            "asks such as streetlights and clearing bushes."
        ),
        "context": "Urban and peri-urban neighbourhoods.",
        "evidence": "After the walks, the council installed 26 streetlights along the routes women named.",
        "tags": ["women", "safety", "advocacy", "local government"],
        "status": "proven",
    },
    {
        "title": "Listening circles before big decisions",
        "summary": "Before a vote, everyone speaks once without interruption, starting with the quietest members.",
        "problem": "A few confident members dominated meetings; others agreed in public and complained afterwards.",
        "method": (
            "For any decision that affects everyone, the chair opens a listening circle. A talking object is "
            "passed around; only the person holding it speaks, for at most two minutes. The circle starts "
            "with the newest or youngest members. Nobody answers or argues during the round. The chair then "
            "summarises the views before the group moves to a decision."
        ),
        "context": "Any group; useful in mixed-age and mixed-gender groups.",
        "evidence": "Members who had never spoken in meetings began to propose ideas; attendance rose.",
        "tags": ["governance", "inclusion", "facilitation"],
        "status": "promising",
    },
    {
        "title": "Rotating chair and minute-taker",
        "summary": "The role of chair and minute-taker rotates every three months so leadership is shared.",
        "problem": "Groups depended on one person; when the chair moved away the group stalled.",
        "method": (
            "Every quarter a different member chairs the meetings and another takes minutes, with the previous "
            "holder supporting them for the first month. Minutes follow a one-page template: who came, what "
            "was decided, who does what by when."
        ),
        "context": "Established groups with at least twelve members.",
        "evidence": "Groups that rotated roles had three times as many members able to run a meeting.",
        "tags": ["governance", "leadership"],
        "status": "emerging",
    },
    {
        "title": "Parent volunteers follow up school absences",
        "summary": "When a child misses three days, a parent volunteer visits the family the same week.",
        "problem": "Children dropped out quietly; the school noticed only at the end of the term.",
        "method": (
            "The school shares the attendance register with two trained parent volunteers every Friday. For "
            "each child absent three days or more, a volunteer visits the family, listens to the reason, and "
            "links the family to help: the savings group's social fund for uniforms, a health worker, or the "
            "head teacher. Visits are recorded without details of the family's problems."
        ),
        "context": "Primary schools with a willing head teacher.",
        "evidence": "Term dropouts fell from 14 to 4 children in the pilot school.",
        "tags": ["education", "children", "volunteers"],
        "status": "promising",
    },
    {
        "title": "Buying farm inputs together",
        "summary": "Several groups pool orders for fertiliser and seed and buy directly from a wholesaler.",
        "problem": "Farmers bought inputs in small quantities from local shops at high prices, often late.",
        "method": (
            "Two months before planting, each group collects orders and a 50% deposit from members. The network "
            "coordinator combines orders from several groups and negotiates with a wholesaler for a bulk price "
            "and delivery to one point. Each group checks the bags on delivery and members pay the balance "
            "when they collect."
        ),
        "context": "Farming groups within one district.",
        "evidence": "Inputs cost 22% less and arrived before the rains.",
        "tags": ["farming", "livelihoods", "cooperation"],
        "status": "promising",
    },
    {
        "title": "Community radio call-in on local issues",
        "summary": "A monthly radio programme where residents and an official answer calls on one issue.",
        "problem": "Officials ignored letters; residents had no public place to raise issues.",
        "method": (
            "The group agrees a monthly slot with the community radio station. Each programme covers one issue, "
            "such as waste collection. A group member and an official are in the studio; listeners call in or "
            "send text messages. The host reads back any promise the official makes, and the next programme "
            "opens by checking whether it was kept."
        ),
        "context": "Areas with a community radio station.",
        "evidence": "Four of six promises made on air were kept within three months.",
        "tags": ["advocacy", "media", "local government"],
        "status": "emerging",
    },
    {
        "title": "Tracking the promises of officials",
        "summary": "A public board lists every promise made to the community, who made it and its status.",
        "problem": "Promises made at meetings were forgotten and nobody could show what had been said.",
        "method": (
            "Whenever an official or councillor promises something in a meeting, the group writes it down with "
            "the date, the exact words and a witness. The promises go on a board in the market and on the "
            "group's notice page, marked kept, in progress or broken. Before elections the group publishes the "
            "list."
        ),
        "context": "Wards and districts with elected councillors.",
        "evidence": "Councillors began to call the group to report progress before the board was updated.",
        "tags": ["accountability", "advocacy", "local government"],
        "status": "emerging",
    },
    {
        "title": "Learning visits between groups",
        "summary": "A small delegation spends a day with a group that does something well, then reports back.",
        "problem": "Groups heard about good practices in reports but did not believe they could do the same.",
        "method": (
            "The visiting group sends three to five members, always including one who will do the work. Before "
            "the visit they write three questions. The host group shows the practice in action, not only in "
            "talk. Within a week the visitors report back to their group and decide one thing to try. The "
            "network pays transport."
        ),
        "context": "Across the network; most visits are within a region.",
        "evidence": "Two thirds of visiting groups adopted the practice they came to see within six months.",
        "tags": ["peer learning", "exchange", "network"],
        "status": "proven",
    },
    {
        "title": "Picture ledger for members who do not read",
        "summary": "Savings and loans are recorded with stamps and pictures so every member can check them.",
        "problem": "Members who could not read depended on the record keeper and feared mistakes or cheating.",
        "method": (
            "Each member's passbook uses a stamp for each share bought, a picture of a hand for a loan taken and "
            "a circle for each repayment. Amounts are shown as rows of coins. At every meeting members compare "
            "their passbook with the group ledger in pairs."
        ),
        "context": "Savings circles with members of low literacy.",
        "evidence": "Disputes about balances at share-out fell from several per group to almost none.",
        "tags": ["savings", "inclusion", "literacy"],
        "status": "promising",
    },
    {
        "title": "Trained peer mediators for neighbour conflicts",
        "summary": "Respected members trained in mediation help neighbours settle disputes before they escalate.",
        "problem": "Disputes over boundaries, noise and debts split groups and sometimes ended in violence.",
        "method": (
            "Each group selects two mediators, a woman and a man, who attend a three-day training on listening, "
            "staying neutral and writing simple agreements. Mediation is voluntary and confidential. Mediators "
            "meet each side separately, then together, and help them write an agreement both sign. Cases of "
            "violence or abuse are referred to the authorities, never mediated."
        ),
        "context": "Dense urban areas and villages with land pressure.",
        "evidence": "Of 48 cases mediated in a year, 39 ended in a written agreement that held.",
        "tags": ["conflict", "safeguarding", "community"],
        "status": "promising",
    },
    {
        "title": "Kitchen gardens watered with greywater",
        "summary": "Households grow vegetables in sack gardens watered with washing water.",
        "problem": "Families ate few vegetables in the dry season, and water was too scarce to irrigate.",
        "method": (
            "Members build sack or keyhole gardens near the house. Water from washing dishes and clothes, "
            "without bleach, is poured into a central column of stones so it soaks through the soil. The group "
            "shares seedlings of kale, spinach and amaranth and holds a monthly visit to compare gardens."
        ),
        "context": "Households with little land and scarce water.",
        "evidence": "Participating households ate vegetables on five days a week instead of two.",
        "tags": ["nutrition", "water", "climate"],
        "status": "emerging",
    },
    {
        "title": "Digital safety basics for organisers",
        "summary": "Organisers lock their phones, use separate group chats and keep member lists off their phones.",
        "problem": "A lost phone exposed the names and numbers of members of a campaign group.",
        "method": (
            "Every organiser sets a screen lock and turns on disappearing messages in campaign chats. Member "
            "lists live only in the collective's platform, never in a chat or a spreadsheet on a phone. Each "
            "chat has two admins who remove people who leave. Once a year the group checks these habits "
            "together."
        ),
        "context": "Campaign and advocacy groups.",
        "evidence": "No data incident has been reported since the checklist was adopted.",
        "tags": ["digital safety", "privacy", "safeguarding"],
        "status": "emerging",
        "visibility": "collective",
    },
    {
        "title": "A buddy for every new member",
        "summary": "Each newcomer is welcomed by a buddy who explains how the group works during the first three meetings.",
        "problem": "New members often came once or twice and never returned.",
        "method": (
            "When someone joins, the chair names a buddy who sits with them, explains the rules and the "
            "savings or activities, and introduces them to others. After the third meeting the buddy asks "
            "what was confusing and passes it on to the chair."
        ),
        "context": "Growing groups.",
        "evidence": "Nine in ten newcomers with a buddy were still active after six months.",
        "tags": ["inclusion", "membership", "peer learning"],
        "status": "emerging",
        "visibility": "private",
    },
]
