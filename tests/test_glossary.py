"""One term, one translation: the Korean edition uses GLOSSARY.ko.md's terms, and none of their usual wrong variants."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[1]
GLOSSARY = ROOT / "GLOSSARY.ko.md"
ENGLISH = sorted((ROOT / "notebooks").glob("*.ipynb"))
KOREAN = [ROOT / "notebooks" / "ko" / p.name for p in ENGLISH]

# For a glossary term (its Korean), the other translations one meets (regular expressions), which the course
# does not use. Matched in the prose (code, math, link targets and English glosses in parentheses taken out);
# a match that lies inside a right term (혼합 정밀 in 혼합 정밀도) is not counted.
WRONG = {
    "음악 특징": ["음악 피처", "음악 특성", "뮤직 피처", "피처"],
    "투영": ["프로젝션", "사영", "투사"],
    "위치 인코딩": ["포지셔널 인코딩", "위치 부호화", "위치 엔코딩", "포지션 인코딩"],
    "어텐션": ["주의 메커니즘", "주의집중", "셀프 주의", "어탠션"],
    "어텐션 헤드": ["주의 헤드"],
    "멀티헤드 어텐션": ["멀티 헤드", "다중 헤드", "멀티-헤드"],
    "피드포워드": ["피드 포워드", "피드-포워드", "순방향 신경망", "전방향 신경망"],
    "Transformer 인코더": ["트랜스포머", "엔코더"],
    "포즈 예측 헤드": ["포즈 헤드", "자세 헤드"],
    "얼굴 임베딩 헤드": ["얼굴 헤드", "페이스 헤드"],
    "얼굴 임베딩": ["페이스 임베딩", "얼굴 임베드"],
    "히트맵": ["히트 맵", "열지도", "열 지도"],
    "키포인트": ["키 포인트", "특징점"],
    "혼합 정밀도": ["혼합정밀도", "혼합 정밀", "믹스드 프리시전", "혼합 정확도"],
    "그래디언트 체크포인팅": ["그래디언트 체크포인트", "기울기 체크포인팅", "경사 체크포인팅", "체크포인팅 기법"],
    "그래디언트": ["그라디언트", "그레이디언트", "그라디엔트"],
    "차원 불일치": ["차원 미스매치", "차원 부조화"],
    "메모리 부족": ["메모리 초과", "아웃 오브 메모리"],
    "학습 불안정": ["훈련 불안정"],
    "학습": ["훈련"],
    "강의": ["강좌", r"코스(?=[는의가를 ]|$)"],
    "형태": ["셰이프", "쉐이프", "텐서 모양", "맵 모양", "의 모양을"],
    "배치 크기": ["배치 사이즈", "배치사이즈"],
    "시퀀스 길이": ["시퀀스길이", "시퀸스"],
    "학습률": ["러닝 레이트", "학습 속도", "학습율"],
    "드롭아웃": ["드랍아웃", "드롭 아웃"],
    "배치 정규화": ["배치 노멀라이제이션", "배치놈", "배치 표준화"],
    "레이어 정규화": ["층 정규화", "계층 정규화", "레이어 노멀라이제이션"],
    "레이어": [r"\d+\s?층(?![가-힣])", "은닉층", "출력층", "입력층"],
    "순전파": ["포워드 패스", "정방향 전달", "순방향 패스", "순방향 전파"],
    "역전파": ["백워드 패스", "역방향 패스", "백프롭"],
    "손실": [r"(?<![가-힣])로스(?!페이드)"],
    "임베딩": ["임배딩", "임베드 벡터"],
    "샘플링 레이트": ["샘플레이트", "샘플 레이트", "샘플링 속도", "표본화율", "샘플링레이트"],
    "비트": ["박자"],
    "비트 정렬 점수": ["비트 정합", "박자 정렬"],
    "안무": ["코레오그래피"],
    "댄서": ["무용수"],
    "평균 포즈": ["평균 자세"],
    "신시사이저": ["신디사이저"],
    "검증 세트": ["검증 집합", "검증셋", "홀드아웃", "밸리데이션"],
    "가중치": ["웨이트"],
    "연습 문제": ["연습문제"],
    "풀이": ["해답"],
    "윈도우": [r"(?<![가-힣])창(?=[\s은이을의에과으만도,.)]|$)", "윈도"],
    "크로스페이드": ["크로스 페이드"],
    "로짓": [r"\blogits?\b"],
    "소프트맥스": [r"\b[Ss]oftmax\b", "소프트 맥스"],
    "스케일드 닷-프로덕트 어텐션": ["스케일드 닷 프로덕트", "스케일 내적", "축척 내적"],
    "코사인 유사도": ["코사인 유사성"],
    "클래스 중심": ["클래스 센트로이드", "클래스 중앙"],
}
# the terms kept in English (GLOSSARY.ko.md's last paragraph), written in Hangul
KEPT_IN_ENGLISH = ["소프트 아그맥스", "소프트아그맥스", "아크페이스", "아크 페이스"]

# English terms whose Korean must be in every Korean cell whose English cell says them (in its prose)
KEY_TERMS = ["music features", "projection", "positional encoding", "attention head", "feed-forward", "pose head",
             "face head", "face embedding", "heatmap", "coordinates", "mixed precision", "gradient checkpointing",
             "dimension mismatch", "out of memory", "unstable training", "learning rate", "keypoint", "temperature",
             "padding", "tensor", "weights", "exercise", "learning goals", "layer", "loss", "batch size", "shape",
             "training", "recap", "choreography", "synthesiser", "softmax", "logits"]


def glossary() -> dict[str, str]:
    """GLOSSARY.ko.md's table: {English: 한국어}, the English without its parenthesised note."""
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", GLOSSARY.read_text(encoding="utf-8"), flags=re.MULTILINE)
    table = {}
    for english, korean in rows[2:] if rows[0][0] == "English" else rows:
        if set(english) <= set("- "):
            continue
        table[re.sub(r"\s*\(.*?\)", "", english).strip()] = re.sub(r"\s*\(.*?\)", "", korean).strip()
    return table


def prose(markdown: str) -> str:
    """Markdown without code blocks, code spans, math and link targets; runs of white space made one space."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\([A-Za-z][A-Za-z -]*\)", " ", text)          # an English gloss: 일반 소프트맥스(plain softmax)
    return re.sub(r"\s+", " ", text)


def cells(path: Path) -> list[tuple[int, str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(number, cell.id, cell.source) for number, cell in enumerate(nb.cells, start=1)
            if cell.cell_type == "markdown"]


def wrong_variants(text: str) -> list[tuple[str, str]]:
    """(variant found, the glossary's term) in a Korean prose text."""
    right = [m.span() for term in WRONG for m in re.finditer(re.escape(term), text)]
    found = []
    for term, variants in WRONG.items():
        for variant in variants:
            for match in re.finditer(variant, text):
                if not any(start <= match.start() and match.end() <= end for start, end in right):
                    found.append((match[0], term))
    found += [(v, "kept in English") for v in KEPT_IN_ENGLISH if v in text]
    return found


def test_the_glossary_lists_every_term_checked():
    table = glossary()
    assert len(table) >= 60 and table["positional encoding"] == "위치 인코딩"
    korean = set(table.values())
    assert [term for term in WRONG if term not in korean] == []
    assert [term for term in KEY_TERMS if term not in table] == []
    for term, variants in WRONG.items():     # a variant is never the right term, nor another right term
        for variant in variants:
            assert not re.fullmatch(variant, term), (term, variant)
            assert all(not re.fullmatch(variant, other) for other in WRONG), (term, variant)


def test_wrong_variants_are_found_and_right_terms_are_not():
    assert wrong_variants("포지셔널 인코딩을 더합니다") == [("포지셔널 인코딩", "위치 인코딩")]
    assert wrong_variants("그래디언트 체크포인트로 아낍니다") == [("그래디언트 체크포인트", "그래디언트 체크포인팅")]
    assert wrong_variants("2층 MLP이며") == [("2층", "레이어")]
    assert wrong_variants("STFT 창을 밀면서") == [("창", "윈도우")]
    assert wrong_variants(prose("맵의 `softmax` 뒤, 채널 softmax")) == [("softmax", "소프트맥스")]
    assert wrong_variants(prose("일반 소프트맥스(plain softmax), $\\text{softmax}$")) == []
    assert wrong_variants("그래디언트 체크포인팅과 혼합 정밀도, 크로스페이드, 창문, 6 레이어, 손실") == []


@pytest.mark.parametrize("path", KOREAN + [ROOT / "README.ko.md"], ids=lambda p: str(p.relative_to(ROOT)))
def test_the_korean_edition_uses_no_wrong_variant_of_a_term(path):
    if path.suffix == ".md":
        texts = [(0, "", path.read_text(encoding="utf-8"))]
    else:
        texts = cells(path)
    problems = [f"{path.name} cell {number} (id {cell_id}): {variant!r} where the glossary says {term!r}"
                for number, cell_id, source in texts for variant, term in wrong_variants(prose(source))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.name)
def test_each_key_term_has_its_one_translation_where_the_english_says_it(english):
    table = glossary()
    korean = {cell_id: source for _, cell_id, source in cells(ROOT / "notebooks" / "ko" / english.name)}
    problems = []
    for number, cell_id, source in cells(english):
        said, translated = prose(source).lower(), prose(korean.get(cell_id, ""))
        for term in KEY_TERMS:
            if re.search(rf"\b{re.escape(term)}(?:s|es)?\b", said) and table[term] not in translated:
                problems.append(f"cell {number} (id {cell_id}): the English says {term!r}, the Korean lacks "
                                f"{table[term]!r}")
    assert not problems, "\n".join(problems)
