"""stores.csv: the chain's stores, their names and regions, and their share of the tickets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from memberkit.sample.csv_out import _write_csv
from memberkit.sample.spec import SampleSpec, _normalised, _rng

REGIONS = {
    "华东": ["上海徐汇", "杭州西湖", "南京鼓楼", "上海浦东", "苏州姑苏", "宁波海曙", "合肥蜀山",
             "上海静安", "杭州滨江", "无锡梁溪", "南京建邺", "常州天宁"],
    "华南": ["广州天河", "深圳南山", "厦门思明", "广州越秀", "深圳福田", "佛山禅城", "东莞南城",
             "福州鼓楼", "南宁青秀", "珠海香洲", "海口龙华", "中山石岐"],
    "华北": ["北京朝阳", "天津和平", "济南历下", "北京海淀", "青岛市南", "石家庄长安", "太原小店",
             "北京西城", "天津南开", "郑州金水", "呼和浩特新城", "唐山路北"],
    "西南": ["成都锦江", "重庆渝中", "昆明五华", "成都武侯", "贵阳云岩", "重庆江北", "绵阳涪城",
             "成都高新", "重庆沙坪坝", "昆明盘龙", "遵义汇川", "南充顺庆"],
}  # fmt: skip
ORDINALS = "二三四五六七八九"


def _write_stores(path: Path, spec: SampleSpec) -> tuple[list[str], np.ndarray]:
    rng = _rng(spec, 1)
    n = spec.stores
    n_regions = min(n, max(2, min(4, -(-n // 3))))
    regions = list(REGIONS)[:n_regions]
    # The first region (HQ's) has the most stores.
    region_of = np.sort(rng.choice(n_regions, size=n, p=_normalised(np.arange(n_regions, 0, -1))))
    region_of[:n_regions] = np.arange(n_regions)  # every chosen region gets a store
    region_of.sort()
    names, used = [], dict.fromkeys(regions, 0)
    for r in region_of:
        names.append(_store_name(REGIONS[regions[r]], used[regions[r]]))
        used[regions[r]] += 1
    ids = [f"S{i + 1:03d}" for i in range(n)]
    # Flagships and small shops: sizes differ by a factor of about four.
    weight = _normalised(rng.lognormal(0.0, 0.45, size=n))
    frame = pl.DataFrame(
        {"门店编号": ids, "门店名称": names, "区域": [regions[r] for r in region_of]}
    )
    _write_csv(path, frame, spec.encoding)
    return ids, weight


def _store_name(places: list[str], k: int) -> str:
    """The k-th store name of a region: 上海徐汇店 ..., then 上海徐汇二店 ... (always unique)."""
    place, rnd = places[k % len(places)], k // len(places)
    if rnd == 0:
        return f"{place}店"
    return f"{place}{ORDINALS[rnd - 1]}店" if rnd <= len(ORDINALS) else f"{place}{rnd + 1}号店"
