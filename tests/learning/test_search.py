"""Search: the index follows creates, updates and deletes; scoping; bad and huge queries."""

from __future__ import annotations

import pytest
from django.db import connection

from minga.core.choices import Visibility
from minga.learning import services
from minga.learning.indexing import FTS_TABLE, chunk_markdown
from minga.learning.models import Passage
from minga.learning.search import Filters, fuse, highlight, search, terms_of
from tests.factories.learning import make_community, make_practice, make_resource, make_session


def titles(results) -> list[str]:
    return [hit.passage.title for hit in results.hits]


def fts_count() -> int:
    if connection.vendor != "sqlite":
        return -1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FTS_TABLE}")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
class TestIndexing:
    def test_create_update_delete_keep_the_index_in_step(self, world):
        practice = make_practice(
            world.alpha, actor=world.admin, title="Rotating savings", method="Members save weekly in a box."
        )
        assert titles(
            search(user=world.admin, query="weekly box", collective=world.alpha, semantic=False)
        ) == ["Rotating savings"]
        services.practice_update(
            actor=world.admin, practice=practice, method="Members keep a ledger of loans."
        )
        assert not search(user=world.admin, query="weekly box", collective=world.alpha, semantic=False).hits
        assert titles(search(user=world.admin, query="ledger", collective=world.alpha, semantic=False)) == [
            "Rotating savings"
        ]
        practices = Passage.objects.filter(kind="practice")
        count = practices.count()
        others = Passage.objects.exclude(kind="practice").count()  # the groups, indexed at search time
        services.practice_delete(actor=world.admin, practice=practice)
        assert practices.count() == 0 < count
        assert not search(user=world.admin, query="ledger", collective=world.alpha).hits
        if connection.vendor == "sqlite":
            assert fts_count() == others

    def test_resource_and_session_are_indexed(self, world):
        make_resource(
            world.alpha, actor=world.admin, title="Water guide", text="# Wells\n\nChlorinate the well."
        )
        community = make_community(world.alpha, actor=world.admin)
        make_session(community, actor=world.admin, title="Kickoff", notes="We discussed chlorination doses.")
        results = search(user=world.admin, query="chlorinate", collective=world.alpha, semantic=False)
        assert {h.passage.kind for h in results.hits} == {"resource", "session"}
        resource_hit = next(h for h in results.hits if h.passage.kind == "resource")
        assert resource_hit.passage.heading == "Wells"
        assert resource_hit.url.endswith("#passage-1")
        assert "<mark>Chlorinate</mark>" in resource_hit.snippet

    def test_large_document_is_cut_into_many_passages_and_found_deep_inside(self, world):
        filler = "\n\n".join(f"Paragraph {i} talks about ordinary matters of the week." for i in range(3000))
        text = filler + "\n\n## Appendix\n\nThe zebra crossing near the school was repainted."
        resource = make_resource(world.alpha, actor=world.admin, title="Big report", text=text)
        assert resource.passages.count() > 100
        hit = search(user=world.admin, query="zebra crossing", collective=world.alpha).hits[0]
        assert hit.passage.heading == "Appendix"


@pytest.mark.django_db
class TestScoping:
    @pytest.fixture
    def material(self, world):
        public = make_practice(world.alpha, actor=world.admin, title="Public one", method="Shared harvest.")
        private = make_practice(
            world.alpha,
            actor=world.admin,
            origin_group=world.kibera,
            title="Private one",
            method="Secret harvest.",
            visibility=Visibility.PRIVATE,
        )
        internal = make_practice(
            world.alpha,
            actor=world.admin,
            title="Internal one",
            method="Members harvest.",
            visibility=Visibility.COLLECTIVE,
        )
        return public, private, internal

    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("anonymous", {"Public one"}),
            ("member", {"Public one", "Private one", "Internal one"}),
            ("coordinator_a", {"Public one", "Private one", "Internal one"}),
            ("coordinator_b", {"Public one", "Internal one"}),
            ("beta_admin", {"Public one"}),
            ("admin", {"Public one", "Private one", "Internal one"}),
        ],
    )
    def test_each_caller_finds_only_what_they_may_see(self, world, material, actor, expected):
        user = None if actor == "anonymous" else getattr(world, actor)
        for semantic in (False, True):
            found = set(titles(search(user=user, query="harvest", collective=world.alpha, semantic=semantic)))
            assert found == expected

    def test_filters_by_kind_tag_and_language(self, world):
        make_practice(
            world.alpha, actor=world.admin, title="P", method="Compost heaps.", tags=["Soil health"]
        )
        make_resource(world.alpha, actor=world.admin, title="R", text="Compost guide.", language="es")
        assert titles(
            search(
                user=world.admin, query="compost", collective=world.alpha, filters=Filters(kind="practice")
            )
        ) == ["P"]
        assert titles(
            search(
                user=world.admin, query="compost", collective=world.alpha, filters=Filters(tag="soil health")
            )
        ) == ["P"]
        assert titles(
            search(user=world.admin, query="compost", collective=world.alpha, filters=Filters(language="es"))
        ) == ["R"]


@pytest.mark.django_db
class TestBadQueries:
    @pytest.mark.parametrize(
        "query",
        [
            '"',
            '""',
            "*",
            "savings*",
            "NEAR(a b)",
            "a NEAR b",
            "AND OR NOT",
            "(",
            ")",
            "title:x",
            "^x",
            "-",
            "'",
            'col:umn " * ( ) NEAR/2',
            "\x00",
            "🙂",
            "%",
            "_",
            "\\",
        ],
    )
    def test_syntax_characters_are_plain_words(self, world, query):
        make_practice(world.alpha, actor=world.admin, title="Savings", method="Savings near the market.")
        results = search(user=world.admin, query=query, collective=world.alpha)
        assert isinstance(results.hits, list)

    def test_quotes_and_stars_still_find_the_words(self, world):
        make_practice(world.alpha, actor=world.admin, title="Savings", method="Savings near the market.")
        assert titles(
            search(user=world.admin, query='"market" * NEAR', collective=world.alpha, semantic=False)
        ) == ["Savings"]

    def test_empty_query_returns_nothing(self, world):
        make_practice(world.alpha, actor=world.admin)
        assert search(user=world.admin, query="   ", collective=world.alpha).hits == []
        assert search(user=world.admin, query="", collective=world.alpha).hits == []

    def test_huge_query_is_cut_and_says_so(self, world):
        make_practice(world.alpha, actor=world.admin, title="Savings", method="Savings groups.")
        results = search(user=world.admin, query="savings " * 5000, collective=world.alpha)
        assert results.problems and titles(results) == ["Savings"]


def test_terms_drop_stopwords_and_duplicates():
    assert terms_of("How do the Savings groups save? savings!") == ["savings", "groups", "save"]


def test_highlight_escapes_markup():
    snippet = highlight("<script>alert(1)</script> savings", ["savings"])
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "<mark>savings</mark>" in snippet


def test_fusion_rewards_agreement():
    fused = dict(fuse([1, 2, 3], [3, 4]))
    assert max(fused, key=fused.__getitem__) == 3


def test_chunking_keeps_headings_and_limits():
    chunks = chunk_markdown("# A\n\n" + "word " * 500 + "\n\n## B\n\nshort", limit=300)
    assert chunks[0][0] == "A" and all(len(c) <= 300 for _, c in chunks) and chunks[-1] == ("B", "short")


@pytest.mark.django_db
def test_visible_match_behind_many_hidden_ones_is_still_found(world, monkeypatch):
    from minga.learning import search as search_module

    monkeypatch.setattr(search_module, "FTS_BATCH", 2)
    monkeypatch.setattr(search_module, "FTS_ROUNDS", 1)
    for n in range(6):
        make_practice(
            world.alpha,
            actor=world.admin,
            origin_group=world.kibera,
            title=f"Hidden {n}",
            method="Harvest harvest harvest festival.",
            visibility=Visibility.PRIVATE,
        )
    make_practice(world.alpha, actor=world.admin, title="Visible", method="A harvest note.")
    found = titles(search(user=None, query="harvest", collective=world.alpha, semantic=False))
    assert found == ["Visible"]


@pytest.mark.django_db
def test_common_words_are_dropped_when_a_rarer_one_is_asked(world, monkeypatch):
    from minga.learning import search as search_module

    monkeypatch.setattr(search_module, "COMMON_CAP", 3)
    for n in range(4):
        make_practice(world.alpha, actor=world.admin, title=f"Group {n}", method="The group meets weekly.")
    make_practice(world.alpha, actor=world.admin, title="Borehole", method="The group repairs the borehole.")
    assert search_module.selective_terms(["group", "borehole"]) == (["borehole"], False)
    assert search_module.selective_terms(["group", "weekly"]) == (["group", "weekly"], True)
    assert titles(
        search(user=world.admin, query="group borehole", collective=world.alpha, semantic=False)
    ) == ["Borehole"]


@pytest.mark.django_db
def test_semantic_cache_follows_new_and_deleted_passages(world):
    first = make_practice(world.alpha, actor=world.admin, title="Beekeeping", method="Hives and honey.")
    assert titles(search(user=world.admin, query="honey bees", collective=world.alpha))
    services.practice_delete(actor=world.admin, practice=first)
    assert search(user=world.admin, query="honey bees", collective=world.alpha).hits == []
    make_practice(world.alpha, actor=world.admin, title="Apiary", method="Honey from bee hives.")
    assert titles(search(user=world.admin, query="honey bees", collective=world.alpha)) == ["Apiary"]
