"""Province names (Chinese and pinyin/English) → the lowercase pinyin id used across the project."""

from __future__ import annotations

__all__ = ["PROVINCES", "detect_province"]

PROVINCES: dict[str, tuple[str, ...]] = {
    "yunnan": ("云南", "yunnan"),
    "jiangsu": ("江苏", "jiangsu"),
    "shandong": ("山东", "shandong", "青岛", "qingdao"),
    "shanghai": ("上海", "shanghai"),
    "tianjin": ("天津", "tianjin"),
    "liaoning": ("辽宁", "liaoning", "大连", "dalian"),
    "fujian": ("福建", "fujian"),
    "gansu": ("甘肃", "gansu"),
    "zhejiang": ("浙江", "zhejiang"),
    "beijing": ("北京", "beijing"),
    "guangdong": ("广东", "guangdong"),
    "chongqing": ("重庆", "chongqing"),
    "heilongjiang": ("黑龙江", "heilongjiang"),
    "hubei": ("湖北", "hubei"),
    "hunan": ("湖南", "hunan"),
    "sichuan": ("四川", "sichuan"),
    "henan": ("河南", "henan"),
    "hebei": ("河北", "hebei"),
    "anhui": ("安徽", "anhui"),
    "shaanxi": ("陕西", "shaanxi"),
    "shanxi": ("山西", "shanxi"),
    "jiangxi": ("江西", "jiangxi"),
    "guangxi": ("广西", "guangxi"),
    "guizhou": ("贵州", "guizhou"),
    "hainan": ("海南", "hainan"),
    "jilin": ("吉林", "jilin"),
    "neimenggu": ("内蒙古", "inner mongolia"),
    "ningxia": ("宁夏", "ningxia"),
    "qinghai": ("青海", "qinghai"),
    "xinjiang": ("新疆", "xinjiang"),
    "xizang": ("西藏", "tibet", "xizang"),
}


def detect_province(text: str) -> str | None:
    lowered = text.lower()
    for province, words in PROVINCES.items():
        if any(word in lowered for word in words):
            return province
    return None
