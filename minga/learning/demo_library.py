# ruff: noqa: E501 -- prose: long lines of text read better than strings cut mid-sentence
"""The demo's library and communities of practice: invented documents and session notes written for
Minga (Markdown), so search and Ask have real material to work with."""

from __future__ import annotations

from typing import Any

RESOURCES: list[dict[str, Any]] = [
    {
        "title": "Savings group constitution template",
        "tags": ["savings", "governance"],
        "community": "savings",
        "text": """# Savings group constitution template

A constitution is agreed by all members before any money is collected. Read it aloud at the first meeting
and again at the start of every cycle.

## Membership

The group has between 15 and 25 members who live near each other and trust each other. New members may
join only at the start of a cycle. A member who misses three meetings in a row without sending a
contribution is visited by the chair.

## Shares and meetings

The group meets every week on the same day. The share price is fixed for the whole cycle. Each member buys
between one and five shares at each meeting. Shares are counted in front of everyone.

## Loans

Loans are decided in the meeting. A member may borrow up to three times the value of their shares, for up
to three months. The service charge is decided by vote at the start of the cycle. A new loan is only given
after the previous one is fully repaid.

## Fines

Fines are small and known in advance: arriving late, forgetting the passbook, or speaking out of turn.
Fines go into the loan fund.

## The election of officers

The group elects a chair, a record keeper, a box keeper and two money counters by secret ballot for one
cycle. The three key holders must not be officers and must not live in the same household.
""",
    },
    {
        "title": "How to run a share-out",
        "tags": ["savings"],
        "community": "savings",
        "text": """# How to run a share-out

The share-out ends a savings cycle. Plan it for a day when all members can attend, usually after harvest
or before school fees are due.

## Before the day

All outstanding loans must be repaid one week before the share-out. The record keeper totals the shares
bought by each member and checks the totals with the members' passbooks.

## Counting the money

The money counters count the whole pot twice in front of everyone. The total is written on a board.
The value of one share is the total pot divided by the total number of shares bought in the cycle. Because
of the service charges and fines, a share is usually worth 20 to 40 per cent more than its price.

## Paying members

Each member receives the number of shares they bought multiplied by the value of one share. Members sign
or press a thumbprint next to the amount. The social fund is not shared out; it carries over.

## Starting again

Most groups start the next cycle the same day. Members may change the share price and revise the
constitution. This is also the moment to welcome new members.
""",
    },
    {
        "title": "Field guide for community data collectors",
        "tags": ["data", "privacy", "measurement"],
        "community": "data",
        "text": """# Field guide for community data collectors

This guide is for volunteers who collect household data for their group each quarter.

## Asking for consent

Before any question, explain who you are, why the group collects the data and that answering is free
and voluntary. Say that names are not written on the form. If the person says no, thank them and move on.
Never collect data from children without a parent present.

## Filling the form

Use a pen, not a pencil. Tick one box per question. If an answer does not fit, write it in the margin and
raise it at the data evening. Write the household code, not the name.

## Keeping forms safe

Keep completed forms in a closed envelope and hand them to the secretary within two days. Do not
photograph forms with your own phone. Do not discuss answers with neighbours.

## The data evening

Forms are entered into the group's phone by two people: one reads, one types. Every tenth form is entered
twice to check for mistakes. Once entered, forms are stored in a locked box and destroyed after one year.
""",
    },
    {
        "title": "Preparing a one-page brief for the council",
        "tags": ["advocacy", "local government", "budget"],
        "community": "advocacy",
        "text": """# Preparing a one-page brief for the council

Councillors read short, precise documents. A good brief fits on one page.

## What the brief says

Start with the ask in one sentence: what you want, where, and by when. Then give the evidence: how many
households are affected, photographs, and what it costs. Give a cost estimate even if it is rough; ask the
council engineer for a figure. End with what the community itself will contribute, such as labour or
land.

## Who signs

The brief is signed by the group's chair and by the spokespeople who will present it. Add a phone number
for follow-up.

## After the hearing

Ask for a written reply within a month. Visit the ward councillor every month until the budget is
approved, and record every answer in the promise tracker.
""",
    },
    {
        "title": "Peer mentoring toolkit",
        "tags": ["mentoring", "leadership"],
        "text": """# Peer mentoring toolkit

Mentoring pairs a new group lead with an experienced one for six months.

## The first meeting

Mentor and mentee agree when and where they will meet, how they will contact each other between meetings,
and what the mentee wants to learn. Write down two or three goals.

## The mentoring log

After each meeting the mentee fills a page with three questions: what went well since we last met, what
was hard, and what will I try next. The mentor does not give orders; they ask questions and share their
own experience.

## Ending well

At the last meeting the pair looks back at the goals. The mentee is invited to become a mentor the
following year. Mentors meet each other every quarter to discuss common problems, such as conflicts over
money or falling attendance.
""",
    },
    {
        "title": "Facilitating a listening circle",
        "tags": ["facilitation", "inclusion", "governance"],
        "text": """# Facilitating a listening circle

A listening circle gives every member one turn to speak before a decision.

## Setting up

Sit in a circle so everyone sees each other. Choose a talking object such as a stone or a cup. Explain the
rules: only the person holding the object speaks; everyone else listens; no answering or arguing during
the round; speak for at most two minutes.

## Who goes first

Start with the newest or youngest members, so that their view is not shaped by the elders or the leaders.
The chair speaks last.

## After the round

The facilitator summarises what was heard, naming points of agreement and disagreement, and then the
group moves to a decision by its usual rules. If the group is deeply divided, it may postpone the
decision by a week.
""",
    },
    {
        "title": "Water point mapping protocol",
        "tags": ["water", "mapping", "youth", "data"],
        "text": """# Water point mapping protocol

## Teams and equipment

Work in pairs. Each pair has a printed map of its zone, a pen, red stickers, and a phone with a camera.

## What to record at each water point

Mark the location on the map with a number. Take one photograph. Note the type (tap, well, borehole,
kiosk), whether it works today, the price of a 20-litre jerrycan if water is sold, the length of the queue
at seven in the morning, and who manages it.

## Broken water points

A water point that has not worked for a week gets a red sticker. Ask neighbours how long it has been
broken and whether it was reported.

## Putting it together

At the mapping party, teams copy their numbers onto one large map. The group counts working and broken
points per zone and prepares a short report for the water office.
""",
    },
    {
        "title": "Community scorecard step by step",
        "tags": ["accountability", "health"],
        "community": "advocacy",
        "text": """# Community scorecard step by step

## Step 1: agree what to score

With the group, choose five to seven indicators of a good service, such as waiting time, staff attitude,
availability of medicines and cleanliness.

## Step 2: users score

Hold separate focus groups of women, men and young people. Each group scores every indicator from one
(very bad) to five (very good) and gives reasons.

## Step 3: providers score

Clinic staff score the same indicators themselves, in a separate meeting.

## Step 4: the interface meeting

Users and providers meet with a neutral facilitator. Scores are shown side by side. Differences are
discussed calmly. The meeting ends with three actions, each with a person responsible and a deadline.

## Step 5: repeat

Repeat the scorecard after six months to see whether the actions were done and whether scores changed.
""",
    },
    {
        "title": "Safeguarding policy in brief",
        "tags": ["safeguarding", "children"],
        "text": """# Safeguarding policy in brief

Everyone who takes part in the collective's activities has the right to be safe.

## Our commitments

We never leave a child alone with one adult volunteer. We do not take or share photographs of children
without a parent's consent. We never ask for sexual favours, money or gifts in exchange for help.

## Reporting a concern

Anyone who is worried about a person's safety tells the group's safeguarding focal person or the network
coordinator the same day. Concerns can also be reported anonymously through the collective's hotline. The
person who reports is protected from retaliation.

## What happens next

The focal person records the concern, makes sure the person at risk is safe, and refers the case to the
police or social services when the law requires it. Mediation is never used for cases of abuse.
""",
    },
    {
        "title": "Treasurer's checklist for handling cash",
        "tags": ["savings", "finance"],
        "text": """# Treasurer's checklist for handling cash

- Count cash in front of at least two other members and write the total in the ledger at once.
- Never keep group money in your own purse or mix it with household money.
- Deposit amounts above the agreed ceiling in the group's bank or mobile money account within two days.
- Every payment needs a receipt or a note signed by two officers.
- Read the balance aloud at the end of each meeting.
- Hand over the ledger and the box keys at the end of your term in a meeting, never in private.

## Mobile money

When the group uses mobile money, the account needs two signatories and the PIN is never shared in a chat.
Print or write down the statement every month and compare it with the ledger.
""",
    },
    {
        "title": "Writing a petition that gets read",
        "tags": ["advocacy", "local government"],
        "community": "advocacy",
        "text": """# Writing a petition that gets read

A petition shows that many people support a clear request.

## Keep it short

One request, in plain words, addressed to the person who can decide. Explain the problem in three
sentences and say what you want done and by when.

## Signatures

Collect names, villages and signatures or thumbprints. Do not collect phone numbers or identity numbers
unless the law requires them, and explain to each person what the petition is for.

## Handing it over

Deliver the petition in person with a small delegation and ask for a receipt with a date. Tell the local
radio. Follow up after two weeks.
""",
    },
    {
        "title": "Organising a learning visit",
        "tags": ["peer learning", "exchange"],
        "text": """# Organising a learning visit

## Choosing whom to visit

Pick a group that does well the thing you want to learn, ideally one with similar members and
conditions. Ask the network coordinator for suggestions.

## Preparing

Send three to five people, including at least one who will put the practice to work. Write down three
questions in advance. Agree the date with the host and who pays for transport and food.

## During the visit

Ask to see the practice in action: a meeting, a savings session, a data evening. Talk to ordinary members,
not only the leaders.

## After the visit

Within a week, report back to your whole group and decide one thing to try in the next month. Tell the
host group what you tried; they will want to know.
""",
    },
    {
        "title": "Case study: the market shelter negotiation",
        "tags": ["advocacy", "women", "local government", "case study"],
        "community": "advocacy",
        "text": """# Case study: the market shelter negotiation

Women vegetable sellers at the town market sat in the sun and rain for years. Their produce spoiled and
the council collected daily fees without providing any shelter.

## What they did

The sellers' group counted the traders (112, of whom 97 were women) and the fees paid in a year. They
showed that the fees collected from them were more than the cost of a simple roofed shelter. They
presented the figures at the budget hearing with a drawing made by a local builder.

## What happened

The council first refused. The group returned every month, spoke on community radio and collected a
petition with 800 signatures. Nine months later the shelter was included in the budget, and it was built
the following year, with the traders contributing the labour for the floor.

## Lessons

Numbers about money spoke louder than complaints. Persistence mattered: the group kept a record of every
meeting and promise.
""",
    },
    {
        "title": "Case study: the streetlight campaign",
        "tags": ["safety", "women", "advocacy", "case study"],
        "text": """# Case study: the streetlight campaign

After a series of attacks on the path to the bus stop, a women's group organised safety walks at dusk.

## The findings

The walks identified nine dark stretches, three abandoned buildings and two places where bushes hid the
path. Women said they took longer, more expensive routes to avoid them.

## The campaign

The group presented a map and photographs to the ward office and the police. They asked for 30
streetlights and for the bushes to be cleared. Young men from the youth group cleared the bushes
themselves within a month.

## The result

The council installed 26 streetlights within eight months. The group repeated the walks and found that
women felt safe on most of the route; two stretches still needed lighting.
""",
    },
    {
        "title": "Seed saving basics",
        "tags": ["seeds", "farming", "climate"],
        "text": """# Seed saving basics

## Selecting seed

Choose seed from the healthiest plants, not only from the biggest fruit. Mark the chosen plants in the
field before harvest and let the seed mature fully.

## Drying and storing

Dry seed in the shade for a week until it cracks when bitten. Store it in airtight containers such as
clay pots sealed with ash or clean jerrycans. Label each container with the variety, the farmer and the
harvest date.

## Testing germination

Before planting, put ten seeds on a wet cloth, roll it and keep it moist. After a week, count how many
sprouted. Eight or more out of ten is good seed.
""",
    },
    {
        "title": "Digital safety checklist for organisers",
        "tags": ["digital safety", "privacy"],
        "visibility": "collective",
        "text": """# Digital safety checklist for organisers

- Set a screen lock with a PIN of at least six digits.
- Turn on disappearing messages in campaign chats.
- Keep member lists in the collective's platform, never in chats or on your phone.
- Each group chat has two admins; remove people who leave the group the same week.
- Do not post photographs of members at protests without their consent.
- If your phone is lost or taken, tell the network coordinator at once so they can remove it from the
  chats and change passwords.
""",
    },
]

COMMUNITIES: list[dict[str, Any]] = [
    {
        "key": "savings",
        "name": "Savings and livelihoods circle",
        "topic": "savings, credit and small businesses",
        "description": "Record keepers, chairs and key holders of savings groups share what works.",
        "sessions": [
            {
                "title": "Why loans go late",
                "agenda": "Round of groups; causes of late repayment; what helped.",
                "notes": (
                    "Most late loans came from emergencies, not from business failure. Groups with a social "
                    "fund had fewer late loans. Several groups now limit a first loan to twice the savings "
                    "instead of three times. One group visits a member who misses two repayments, with "
                    "kindness rather than fines."
                ),
                "attendance": 31,
            },
            {
                "title": "Share-out day: stories and mistakes",
                "agenda": "How groups prepared their share-out; mistakes to avoid.",
                "notes": (
                    "Counting twice in public avoided disputes. A group that let a member keep an unpaid loan "
                    "through share-out lost money and trust. Members liked receiving the payout just before "
                    "school fees were due."
                ),
                "attendance": 27,
            },
            {
                "title": "Mobile money for savings groups",
                "agenda": "Pros and cons of keeping the pot in mobile money.",
                "notes": (
                    "Mobile money reduces the risk of theft of the lockbox, but fees add up and some members "
                    "have no phone. Groups agreed to keep weekly cash in the box and move only large balances "
                    "to a mobile money account with two signatories."
                ),
                "attendance": 24,
            },
            {
                "title": "From savings to small businesses",
                "agenda": "Which businesses did members start with loans?",
                "notes": (
                    "Most common: restocking small shops, poultry, tailoring and selling cooked food. "
                    "Members asked for a short course on simple bookkeeping for their businesses."
                ),
                "attendance": 29,
            },
        ],
    },
    {
        "key": "data",
        "name": "Community data collectors",
        "topic": "collecting and using our own data",
        "description": "Volunteers who collect data for their groups exchange methods and check quality.",
        "sessions": [
            {
                "title": "Consent in practice",
                "agenda": "Role plays on asking for consent; difficult situations.",
                "notes": (
                    "Collectors practised explaining consent in local languages. When a husband answers for his "
                    "wife, collectors politely ask to speak with her too. Refusals are recorded as refusals, "
                    "not as missing."
                ),
                "attendance": 18,
            },
            {
                "title": "Data evenings that people enjoy",
                "agenda": "How groups run the quarterly data evening.",
                "notes": (
                    "Groups that share tea and show last quarter's numbers as a simple chart get more members "
                    "to come. Reading and typing in pairs catches most mistakes."
                ),
                "attendance": 21,
            },
            {
                "title": "When the numbers look wrong",
                "agenda": "Checking outliers; what to do with doubtful forms.",
                "notes": (
                    "A household of 40 people was a typing mistake for 4. Collectors agreed to call back "
                    "households when an answer is surprising, and to mark doubtful forms instead of "
                    "deleting them."
                ),
                "attendance": 16,
            },
        ],
    },
    {
        "key": "advocacy",
        "name": "Advocacy with local government",
        "topic": "influencing councils, budgets and public services",
        "description": "Groups that engage councils and service providers learn from each campaign.",
        "sessions": [
            {
                "title": "Getting into the municipal budget",
                "agenda": "Timeline of the budget cycle; what worked at hearings.",
                "notes": (
                    "The budget cycle starts months before the hearing: ward priorities are collected in "
                    "the first quarter. Groups that met the ward councillor early had their priority on the "
                    "list before the hearing. Bringing a cost estimate made councillors take the request "
                    "seriously."
                ),
                "attendance": 26,
            },
            {
                "title": "Working with clinic committees",
                "agenda": "Scorecards; joining health facility committees.",
                "notes": (
                    "Two groups now have members on the health facility committee. The scorecard worked best "
                    "when the clinic in-charge was invited from the start and not surprised by the results."
                ),
                "attendance": 19,
            },
            {
                "title": "Keeping officials to their word",
                "agenda": "Promise tracking; radio; elections.",
                "notes": (
                    "Writing down promises with a date and a witness changed how officials spoke at meetings. "
                    "The radio call-in made promises public. Before elections the promise list was the most "
                    "shared document in the network."
                ),
                "attendance": 23,
            },
            {
                "title": "Safety walks and the police",
                "agenda": "How to involve the police post without putting members at risk.",
                "notes": (
                    "Groups invited the police commander to join one walk. Women preferred to present findings "
                    "as a group, never individually. Police patrols increased on two routes."
                ),
                "attendance": 22,
            },
        ],
    },
]
