#!/usr/bin/env python3
"""Seeded, repeatable generator of the innomatch sample catalog (Zhanjiang).

Every organization in the output is FICTIONAL. The data are modelled on the
Zhanjiang high-tech industry cultivation plan (2023-2025): pillar, emerging,
traditional and agricultural industry chains, academic partners in the city,
the Greater Bay Area, Hainan and the rest of China, and the ten kinds of
intermediary service.

Design
------
The catalog is built from *topics* (a concrete technical problem of one
industry chain). A topic carries two vocabularies: the words an enterprise
uses when it posts a need (plain, problem-oriented) and the words a research
team uses when it lists a capability (technical terms, synonyms, scientific
names). Needs are generated from a topic in enterprise wording; capabilities
of the topic's partner organizations are generated in research wording.
The partner organizations of a need's topic(s), minus the need's owner, are
its known good partners (labels.jsonl). Decoy capabilities share surface
words with some topic's needs but not its substance, and are owned by
organizations that are not partners of that topic.

Usage
-----
    python3 generate.py > zhanjiang.jsonl
    python3 generate.py --out zhanjiang.jsonl --labels labels.jsonl
    python3 generate.py --check        # validate against the taxonomy TOMLs

Python 3.11+, standard library only. Output is byte-for-byte deterministic
for a given --seed.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = 20231120
DATA_FILE = HERE / "zhanjiang.jsonl"
LABELS_FILE = HERE / "labels.jsonl"
TAXONOMY_DIR = HERE.parent.parent / "core" / "taxonomy"

# ---------------------------------------------------------------------------
# Small vocabularies (hard-coded so that output does not drift when the
# taxonomy's descriptive fields change; codes are validated by --check).
# ---------------------------------------------------------------------------

REGION_NAME = {
    "440800": "湛江市", "440802": "赤坎区", "440803": "霞山区", "440804": "坡头区",
    "440811": "麻章区", "440823": "遂溪县", "440825": "徐闻县", "440881": "廉江市",
    "440882": "雷州市", "440883": "吴川市", "440100": "广州市", "440300": "深圳市",
    "440400": "珠海市", "440600": "佛山市", "441900": "东莞市", "810000": "香港",
    "820000": "澳门", "460000": "海南省", "460100": "海口市", "460200": "三亚市",
    "440000": "广东省", "440900": "茂名市", "441700": "阳江市", "310000": "上海市",
    "320000": "江苏省", "210000": "辽宁省", "420000": "湖北省", "510000": "四川省",
}
CITY_DISTRICTS = ["440802", "440803", "440804", "440811", "440823", "440825", "440881", "440882", "440883"]

IND_NAME = {
    "green_steel": "绿色钢铁", "green_petrochemical": "绿色石化", "high_end_paper": "高端纸业",
    "green_energy": "绿色能源", "new_materials": "新材料", "equipment_manufacturing": "装备制造",
    "modern_medicine": "现代医药", "electronic_information": "电子信息", "home_appliances": "家电",
    "down": "羽绒", "furniture": "家具", "footwear": "鞋业", "shrimp": "对虾", "oyster": "生蚝",
    "golden_pompano": "金鲳鱼", "dragon_fruit": "火龙果", "pineapple": "菠萝",
    "tropical_fruit": "热带水果", "southern_medicine": "南药", "prepared_dishes": "预制菜",
}
ALL_INDUSTRIES = list(IND_NAME)

IND_TERMS = {  # neutral chain words, added to some needs' keywords
    "green_steel": ["钢铁", "绿色钢铁"], "green_petrochemical": ["石油化工", "绿色石化"],
    "high_end_paper": ["造纸", "高端纸业"], "green_energy": ["绿色能源", "新能源"],
    "new_materials": ["新材料"], "equipment_manufacturing": ["装备制造"], "modern_medicine": ["现代医药", "生物医药"],
    "electronic_information": ["电子信息"], "home_appliances": ["小家电", "家电"], "down": ["羽绒制品"],
    "furniture": ["家具"], "footwear": ["制鞋", "鞋业"], "shrimp": ["对虾养殖", "水产养殖"], "oyster": ["牡蛎", "贝类养殖"],
    "golden_pompano": ["卵形鲳鲹", "海水鱼养殖"], "dragon_fruit": ["红心火龙果"], "pineapple": ["徐闻菠萝", "凤梨"],
    "tropical_fruit": ["热带水果"], "southern_medicine": ["中药材", "南药"], "prepared_dishes": ["预制菜", "食品加工"],
}

IND_FIELDS = {
    "green_steel": ["new_materials.metal", "environment.carbon"],
    "green_petrochemical": ["new_materials.fine_chemicals", "environment.clean_production"],
    "high_end_paper": ["new_materials.paper_materials", "environment.clean_production"],
    "green_energy": ["new_energy.renewable", "new_energy.storage"],
    "new_materials": ["new_materials"],
    "equipment_manufacturing": ["advanced_manufacturing.advanced_manufacturing_process"],
    "modern_medicine": ["biomedicine.chemical_drugs"],
    "electronic_information": ["electronic_information.software"],
    "home_appliances": ["advanced_manufacturing.electric_power"],
    "down": ["environment.clean_production"],
    "furniture": ["advanced_manufacturing.advanced_manufacturing_process"],
    "footwear": ["new_materials.polymer"],
    "shrimp": ["biomedicine.agricultural_biotech"], "oyster": ["biomedicine.agricultural_biotech"],
    "golden_pompano": ["biomedicine.agricultural_biotech"], "dragon_fruit": ["biomedicine.agricultural_biotech"],
    "pineapple": ["biomedicine.agricultural_biotech"], "tropical_fruit": ["biomedicine.agricultural_biotech"],
    "southern_medicine": ["biomedicine.chinese_medicine"], "prepared_dishes": ["biomedicine.light_industry_biotech"],
}

MODE = {
    "tt": "tech_transfer", "tl": "tech_licensing", "jd": "joint_development", "cd": "commissioned_development",
    "tc": "tech_consulting", "ts": "tech_service", "jp": "joint_platform", "es": "equipment_sharing",
}
QUAL = {
    "hte": "high_tech_enterprise", "sme": "tech_sme", "spec": "specialized_sme", "ni": "national_incubator",
    "ms": "maker_space", "kl": "key_laboratory", "ec": "engineering_center",
}

# ---------------------------------------------------------------------------
# Organizations (all fictional)
# ---------------------------------------------------------------------------

# key, name, region, industries, qualifications, profile
ENTERPRISES = [
    ("E01", "湛江澄澜特钢材料有限公司", "440803", "green_steel", "hte spec", "以冷轧特种钢板和镀锌板为主导产品，服务汽车、家电和海工客户"),
    ("E02", "粤西砺海球团科技有限公司", "440811", "green_steel", "sme", "从事氧化球团和烧结矿生产，配套东海岛钢铁基地"),
    ("E03", "湛江曜港钢构工程有限公司", "440804", "green_steel equipment_manufacturing", "spec", "承接港口、厂房和海工平台钢结构的制作与安装"),
    ("E04", "湛江蓝屿石化新材料有限公司", "440811", "green_petrochemical new_materials", "hte", "拥有聚乙烯、聚丙烯装置，正向化工新材料延伸"),
    ("E05", "粤西鼎渊精细化工有限公司", "440804", "green_petrochemical", "sme", "以芳烃下游精细化学品和溶剂为主"),
    ("E06", "湛江泓锦化工环保科技有限公司", "440803", "green_petrochemical", "hte sme", "专注石化与化工园区废水治理工程和运营服务"),
    ("E07", "湛江青屿纸业有限公司", "440803", "high_end_paper", "hte", "生产文化用纸和高档生活用纸，布局林浆纸一体化"),
    ("E08", "粤西桉源林业发展有限公司", "440823", "high_end_paper", "", "经营桉树原料林基地，为纸浆企业供应木片"),
    ("E09", "湛江拓垣特种纸包装有限公司", "440811", "high_end_paper new_materials", "spec sme", "生产食品包装纸、纸杯原纸和特种纸制品"),
    ("E10", "湛江凌波海上风电运维有限公司", "440825", "green_energy", "sme", "为徐闻、雷州海域风电场提供运维服务"),
    ("E11", "粤西丰湾新能源科技有限公司", "440881", "green_energy", "hte", "开发和运营工商业储能与分布式光伏项目"),
    ("E12", "湛江椰岚生物质能源有限公司", "440882", "green_energy", "", "利用蔗渣和林业剩余物发电供热"),
    ("E13", "湛江渔光新能源开发有限公司", "440883", "green_energy shrimp", "", "投资建设渔光互补和滩涂光伏项目"),
    ("E14", "湛江启航复合材料有限公司", "440804", "new_materials equipment_manufacturing", "hte spec", "生产玻璃钢、碳纤维复合材料构件和管道"),
    ("E15", "粤西锂源电池材料有限公司", "440811", "new_materials green_energy", "hte", "生产磷酸铁锂正极材料及其前驱体"),
    ("E16", "湛江海盾防腐涂料有限公司", "440803", "new_materials", "hte sme", "研发生产船舶与海工重防腐涂料"),
    ("E17", "湛江深蓝渔业装备有限公司", "440803", "equipment_manufacturing golden_pompano", "hte spec", "设计制造HDPE深水网箱和养殖平台配套装备"),
    ("E18", "粤西智焊机器人有限公司", "440802", "equipment_manufacturing", "sme", "提供焊接机器人工作站集成和自动化改造"),
    ("E19", "湛江垦丰农机装备有限公司", "440825", "equipment_manufacturing pineapple", "sme", "研制热带作物田间作业和采收机械"),
    ("E20", "湛江海苑生物医药有限公司", "440811", "modern_medicine", "hte", "聚焦海洋来源创新药和功能性原料"),
    ("E21", "粤西康瑞医疗器械有限公司", "440802", "modern_medicine", "spec sme", "生产一次性输注器械和医用导管"),
    ("E22", "湛江南辰制药有限公司", "440803", "modern_medicine", "hte", "以口服固体制剂和中成药为主"),
    ("E23", "湛江数港工业互联网科技有限公司", "440802", "electronic_information", "hte sme", "为制造企业提供工业互联网平台和MES实施"),
    ("E24", "粤西智渔物联科技有限公司", "440811", "electronic_information shrimp", "sme", "研发水产养殖物联网设备和管理平台"),
    ("E25", "湛江视界智能科技有限公司", "440802", "electronic_information", "sme", "从事机器视觉检测和智能分选设备研发"),
    ("E26", "廉江暖阳电器有限公司", "440881", "home_appliances", "hte", "生产电饭煲、电压力锅，产品出口东南亚和欧洲"),
    ("E27", "廉江清风小家电有限公司", "440881", "home_appliances", "sme", "生产电风扇和空气循环扇"),
    ("E28", "廉江智厨电器科技有限公司", "440881", "home_appliances", "spec", "主营智能电饭煲和多功能料理锅"),
    ("E29", "吴川云羽羽绒制品有限公司", "440883", "down", "hte", "从事羽绒分拣、水洗和羽绒被服生产"),
    ("E30", "吴川白鹭羽绒科技有限公司", "440883", "down", "sme", "为服装品牌供应高品质鸭绒和鹅绒"),
    ("E31", "吴川暖居羽绒服饰有限公司", "440883", "down", "", "生产羽绒服和羽绒家纺产品"),
    ("E32", "湛江木韵红木家具有限公司", "440882", "furniture", "", "生产红木家具和工艺木雕"),
    ("E33", "粤西匠心定制家居有限公司", "440802", "furniture", "sme", "提供全屋定制衣柜、橱柜和木门"),
    ("E34", "湛江森悦家具制造有限公司", "440811", "furniture", "", "生产板式和实木办公家具"),
    ("E35", "吴川步云鞋业有限公司", "440883", "footwear", "sme", "为国内外运动品牌代工运动鞋和休闲鞋"),
    ("E36", "吴川踏浪鞋材科技有限公司", "440883", "footwear new_materials", "hte spec", "研发生产EVA、TPU等发泡鞋材"),
    ("E37", "湛江轻履运动用品有限公司", "440883", "footwear", "", "生产跑鞋、拖鞋和沙滩鞋"),
    ("E38", "湛江碧湾水产养殖有限公司", "440811", "shrimp", "sme", "经营对虾高位池和工厂化养殖基地"),
    ("E39", "粤西金苗对虾种业有限公司", "440825", "shrimp", "hte", "从事南美白对虾亲虾培育和虾苗生产"),
    ("E40", "湛江海丰饲料科技有限公司", "440802", "shrimp golden_pompano", "hte", "生产对虾和海水鱼配合饲料"),
    ("E41", "雷州蓝湾生态养殖有限公司", "440882", "shrimp", "", "经营土塘和高位池对虾养殖"),
    ("E42", "湛江蚝乡海产有限公司", "440804", "oyster", "", "从事生蚝养殖、暂养和鲜活销售"),
    ("E43", "粤西贝源水产科技有限公司", "440804", "oyster prepared_dishes", "sme", "生产冰鲜和即食生蚝产品"),
    ("E44", "湛江金浪海洋牧场有限公司", "440825", "golden_pompano", "sme", "在徐闻、雷州海域开展金鲳鱼深水网箱养殖"),
    ("E45", "粤西鲳鲜食品有限公司", "440811", "golden_pompano prepared_dishes", "", "从事金鲳鱼加工和冻品出口"),
    ("E46", "遂溪红艳火龙果种植有限公司", "440823", "dragon_fruit", "", "种植红心火龙果并开展电商销售"),
    ("E47", "湛江果达农业科技有限公司", "440823", "dragon_fruit tropical_fruit", "sme", "提供火龙果、芒果等热带水果的采后处理和流通服务"),
    ("E48", "徐闻甜岭果业有限公司", "440825", "pineapple", "", "种植菠萝并收购周边农户鲜果"),
    ("E49", "徐闻凤梨湾食品有限公司", "440825", "pineapple prepared_dishes", "sme", "生产菠萝罐头、果汁和果干"),
    ("E50", "湛江南果农业发展有限公司", "440882", "tropical_fruit", "", "经营荔枝、龙眼和香蕉果园"),
    ("E51", "粤西果香食品有限公司", "440823", "tropical_fruit prepared_dishes", "sme", "生产芒果干、龙眼干等休闲果干"),
    ("E52", "雷州蕉林农业科技有限公司", "440882", "tropical_fruit", "", "种植香蕉并提供组培苗"),
    ("E53", "雷州沉香谷生物科技有限公司", "440882", "southern_medicine", "sme", "种植白木香并加工沉香产品"),
    ("E54", "湛江良方南药饮片有限公司", "440802", "southern_medicine modern_medicine", "hte", "加工高良姜、益智等南药饮片和提取物"),
    ("E55", "徐闻本草源种植有限公司", "440825", "southern_medicine", "", "种植良姜、巴戟天等南药"),
    ("E56", "湛江鲜厨预制菜有限公司", "440811", "prepared_dishes", "hte", "生产粤式冷冻和冷藏预制菜"),
    ("E57", "粤西滋味中央厨房食品有限公司", "440803", "prepared_dishes", "sme", "为团餐和连锁餐饮提供中央厨房配送"),
    ("E58", "湛江冷鲜链物流有限公司", "440811", "prepared_dishes", "", "经营冷库和冷链运输，提供预冷、速冻代加工"),
    ("E59", "深圳芯感传感技术有限公司", "440300", "electronic_information green_energy", "hte spec", "研发水质、气体和电池安全传感器"),
    ("E60", "广州冷智装备科技有限公司", "440100", "equipment_manufacturing prepared_dishes", "hte", "研制速冻隧道、液氮速冻机和冷链装备"),
    ("E61", "佛山匠造智能装备有限公司", "440600", "equipment_manufacturing", "hte spec", "提供焊接、喷涂和缝纫机器人系统"),
    ("E62", "海口椰风农产品加工有限公司", "460100", "tropical_fruit prepared_dishes", "sme", "从事热带水果干燥和冻干加工"),
    ("E63", "东莞绿膜新材料有限公司", "441900", "new_materials high_end_paper", "hte", "生产水性阻隔涂料和可降解包装材料"),
    ("E64", "湛江碳擎环境科技有限公司", "440802", "green_steel high_end_paper green_petrochemical", "sme", "提供碳足迹核算软件和碳管理咨询"),
    ("E65", "湛江蓝港船舶修造有限公司", "440804", "equipment_manufacturing", "", "修造渔船、工作艇和小型海工船舶"),
]

# key, kind, name, short name (for platform titles), region, qualifications, description
ACADEMIC = [
    ("U1", "university", "湛江海洋科技学院", "海洋科技学院", "440811", "kl",
     "以海洋水产、海洋食品和海洋生物为特色的本科院校，在对虾、生蚝、金鲳鱼等特色水产领域积累深厚，建有多个省级科研平台。"),
    ("U2", "university", "粤西医药健康学院", "医药健康学院", "440802", "ec",
     "设有药学、医学检验、食品卫生等学科，长期服务粤西医药和食品企业，在医疗器械评价、仿制药研究和食品安全检测方面形成特色。"),
    ("U3", "university", "湛江滨海理工学院", "滨海理工学院", "440803", "",
     "应用型理工科院校，电子信息、自动化和机械专业与本地家电、农业企业合作紧密，承担多项智慧农业和工业互联网项目。"),
    ("U4", "university", "羊城新材料工程学院", "羊城新材料学院", "440100", "kl ec",
     "位于广州的材料类高校，在高分子、复合材料、功能涂层和电池材料方向拥有完整的研发与中试条件。"),
    ("U5", "university", "珠江智能制造大学", "珠江智造大学", "440600", "ec",
     "地处佛山制造业腹地，以机器人、智能装备、电机驱动和家具家电智能制造为特色。"),
    ("U6", "university", "维港科技学院", "维港科技学院", "810000", "kl",
     "A research university in Hong Kong with strengths in marine biotechnology, advanced materials and smart devices, "
     "working with companies across the Greater Bay Area. 香港高校，积极与大湾区及湛江企业开展合作。"),
    ("U7", "university", "华东绿色化工大学", "华东化工大学", "310000", "kl",
     "以化学工程、环境工程为特色，在碳捕集利用、工业废水处理、生物质转化和生命周期评价方面研究积累深厚。"),
    ("U8", "university", "太湖轻工学院", "太湖轻工学院", "320000", "ec",
     "轻工类高校，造纸、纺织、鞋材、木材加工和羽绒制品等学科齐全，长期服务传统制造业转型升级。"),
    ("I1", "research_institute", "粤西绿色冶金研究院", "绿色冶金研究院", "440811", "ec",
     "依托东海岛钢铁产业集群组建的新型研发机构，聚焦低碳冶炼、冶金固废资源化和钢铁材料应用。"),
    ("I2", "research_institute", "雷州半岛热作科技研究院", "热作科技研究院", "440823", "",
     "面向热带作物产业，研究火龙果、菠萝、香蕉等作物的栽培、采后处理和农机装备。"),
    ("I3", "research_institute", "粤西南药资源开发研究院", "南药研究院", "440882", "ec",
     "从事沉香、高良姜、益智等南药资源的种植、质量标准和深加工技术研究。"),
    ("I4", "research_institute", "湛江林浆纸技术研究院", "林浆纸研究院", "440803", "",
     "围绕林浆纸一体化开展桉树培育、制浆造纸清洁生产和纸基新材料研究。"),
    ("I5", "research_institute", "湛江食品冷链与预制菜研究院", "预制菜研究院", "440811", "ec",
     "聚焦预制菜工业化、水产品和果蔬保鲜、冷链品质控制，建有中央厨房中试线。"),
    ("I6", "research_institute", "深湾电子信息技术研究院", "深湾电子院", "440300", "",
     "位于深圳的新型研发机构，专注工业互联网、机器视觉、物联网和嵌入式智能。"),
    ("I7", "research_institute", "珠西储能与氢能研究院", "珠西储能院", "440600", "kl",
     "面向新型储能与氢能产业，开展电池安全、储能系统和氢能冶金应用研究。"),
    ("I9", "research_institute", "琼州热带作物研究院", "琼州热作院", "460100", "kl",
     "位于海口，从事热带果树、南药和经济林的育种、栽培与加工研究。"),
    ("I10", "research_institute", "北方冶金低碳技术研究院", "北方冶金院", "210000", "ec",
     "长期从事炼铁、直接还原和冶金过程节能降碳研究，具备试验高炉和竖炉条件。"),
    ("I11", "research_institute", "蜀中中药现代化研究院", "蜀中中药院", "510000", "ec",
     "从事中药制剂、质量标准和仿制药一致性评价研究。"),
    ("L1", "laboratory", "粤西水产病害防控实验室", "水产病害实验室", "440811", "kl",
     "专注对虾、贝类等养殖动物的疫病诊断与防控，提供病原检测和疫病监测服务。"),
    ("L2", "laboratory", "雷州湾海洋工程装备实验室", "海工装备实验室", "440804", "kl",
     "开展海洋工程结构、深远海养殖装备、海洋腐蚀防护和复合材料研究，建有波浪水槽和实海挂板站。"),
    ("L3", "laboratory", "湛江石化过程安全与低碳实验室", "石化低碳实验室", "440803", "",
     "面向石化园区，研究过程安全、碳减排、工业废水和VOCs治理。"),
    ("L4", "laboratory", "香洲海洋生物医药实验室", "香洲海洋药物实验室", "440400", "kl",
     "位于珠海，专注海洋天然产物、海洋微生物和海洋药物筛选。"),
    ("L5", "laboratory", "三亚深远海养殖实验室", "三亚深远海实验室", "460200", "kl",
     "从事深远海养殖装备、海水鱼营养、贝类和对虾育种研究。"),
    ("L6", "laboratory", "华中新能源电力实验室", "华中新能源实验室", "420000", "",
     "研究风电、光伏、储能和新能源并网技术，具备风电传动链和电池测试平台。"),
]
ENGLISH_ORGS = {"U6"}

# key, name, region, offer categories, industries served, regions served, description
AGENCIES = [
    ("A01", "湛江科创咨询服务有限公司", "440802", "consulting policy_services",
     "green_steel green_petrochemical high_end_paper new_materials electronic_information", "440800 440802 440803 440804 440811",
     "为湛江制造企业提供技术诊断、项目规划和科技政策服务的综合性咨询机构。"),
    ("A02", "粤西技术转移中心", "440803", "tech_evaluation_transaction resource_matching",
     "green_steel green_petrochemical high_end_paper green_energy new_materials equipment_manufacturing modern_medicine electronic_information",
     "440800 440881 440882 440883 440900", "省级技术转移示范机构，开展成果评价、技术交易和产学研对接。"),
    ("A03", "湛江湾知识产权代理事务所", "440802", "intellectual_property training",
     "modern_medicine new_materials home_appliances electronic_information footwear", "440800 440802 440881 440883",
     "专利代理与知识产权管理服务机构，熟悉家电、医药和材料领域。"),
    ("A04", "雷州半岛检验检测认证中心", "440811", "testing_inspection testing_inspection",
     "prepared_dishes shrimp oyster golden_pompano tropical_fruit dragon_fruit pineapple southern_medicine", "440800 440900 441700",
     "具备CMA、CNAS资质的第三方检验检测机构，擅长食品、农产品和水产品检测。"),
    ("A05", "湛江科技金融服务中心", "440802", "tech_finance policy_services",
     "green_energy new_materials modern_medicine electronic_information equipment_manufacturing prepared_dishes", "440800",
     "联合银行、担保和投资机构，为科技型中小企业提供融资对接和政策兑现服务。"),
    ("A06", "南粤研发众包平台", "440100", "rd_crowdsourcing innovation_events",
     "new_materials equipment_manufacturing electronic_information home_appliances furniture footwear", "440000 440100 440800",
     "面向制造业的研发众包与揭榜挂帅服务平台，汇聚大湾区工程师资源。"),
    ("A07", "湛江创新人才培训学院", "440803", "training consulting",
     "home_appliances down furniture footwear shrimp prepared_dishes", "440800",
     "开展产业技术人才培训、企业研修和管理咨询的民办培训机构。"),
    ("A08", "深圳湾科技成果交易服务有限公司", "440300", "tech_evaluation_transaction intellectual_property tech_finance",
     "electronic_information new_materials modern_medicine green_energy", "440000 440300 440800",
     "提供科技成果评估、技术交易、专利运营和投融资对接的一站式服务机构。"),
    ("A09", "海南自贸港科技服务中心", "460100", "resource_matching policy_services",
     "tropical_fruit southern_medicine golden_pompano shrimp pineapple", "460000 460100 460200 440800",
     "服务琼州海峡两岸的科技服务机构，促进湛江与海南科研资源对接。"),
    ("A10", "湛江海洋产业技术服务站", "440811", "testing_inspection training consulting",
     "shrimp oyster golden_pompano prepared_dishes", "440800 440811 440825 440882",
     "面向水产养殖和水产品加工企业的公益性技术服务站。"),
    ("A11", "湛江创投路演服务有限公司", "440802", "innovation_events tech_finance",
     "green_energy new_materials modern_medicine electronic_information prepared_dishes equipment_manufacturing", "440800 440100 440300",
     "组织创新创业大赛、项目路演和投融资对接活动。"),
    ("A12", "粤西高企认定辅导中心", "440881", "policy_services consulting",
     "home_appliances down furniture footwear", "440800 440881 440883",
     "专注高新技术企业认定、科技型中小企业评价和研发费用加计扣除辅导。"),
    ("A13", "珠海跨境科技服务有限公司", "440400", "rd_crowdsourcing resource_matching",
     "electronic_information modern_medicine new_materials equipment_manufacturing", "440400 810000 820000 440800",
     "Cross-border technology services between Zhuhai, Hong Kong, Macao and western Guangdong. 提供跨境研发众包与大湾区资源对接服务。"),
    ("A14", "广州产学研协同服务中心", "440100", "resource_matching innovation_events",
     "green_steel high_end_paper new_materials modern_medicine tropical_fruit prepared_dishes", "440000 440100 440800",
     "依托广州高校院所资源，开展产学研对接和产业技术论坛。"),
]
ENGLISH_AGENCIES = {"A13"}

OTHER_ORGS = [
    # key, kind, name, region, industries, fields, qualifications, description
    ("N1", "incubator", "湛江海洋科技企业孵化器", "440811", "shrimp oyster golden_pompano modern_medicine",
     "high_tech_services.tech_transfer high_tech_services.rd_design", "ni",
     "国家级科技企业孵化器，面向海洋生物、水产科技和海洋医药初创企业提供场地、中试和投融资服务。"),
    ("N2", "incubator", "赤坎青创众创空间", "440802", "electronic_information prepared_dishes home_appliances",
     "high_tech_services.rd_design high_tech_services.information", "ms",
     "面向青年创业团队的众创空间，提供联合办公、创业辅导和项目路演。"),
    ("F1", "financial_institution", "湛江湾科技融资担保有限公司", "440802",
     "green_energy new_materials modern_medicine electronic_information prepared_dishes shrimp",
     "high_tech_services.consulting", "",
     "为科技型中小企业提供融资担保、知识产权质押融资和科技信贷风险分担。"),
]

# ---------------------------------------------------------------------------
# Topics: one concrete technical problem each, with enterprise wording (n*)
# and research wording (c*). Lists are "|"-separated; "{a/b}" picks one,
# "{#lo-hi}" draws an integer.
# ---------------------------------------------------------------------------

TOPICS: list[dict] = []
TOPIC_BY_CODE: dict[str, dict] = {}


def T(code, *, ind, f, acad, own, ent="", area, nt, nc, na, nk, comp, ct, cs, ck, pat, ins, modes, trl, budget, en=None):
    def bar(s):
        return [x.strip() for x in s.split("|") if x.strip()]

    t = dict(
        code=code, ind=ind.split(), f=f.split(), acad=acad.split(), ent=ent.split(), own=own.split(),
        area=bar(area), nt=bar(nt), nc=bar(nc), na=bar(na), nk=bar(nk), comp=bar(comp), ct=bar(ct),
        cs=bar(cs), ck=bar(ck), pat=bar(pat), ins=[tuple(x.split("@")) for x in bar(ins)],
        modes=[MODE[m] for m in modes.split()], trl=tuple(int(x) for x in trl.split("-")),
        budget=tuple(int(x) for x in budget.split("-")), en=bar(en) if en else None,
    )
    TOPICS.append(t)
    TOPIC_BY_CODE[code] = t


# --- green steel -----------------------------------------------------------
T("steel_h2", ind="green_steel", f="new_materials.metal environment.carbon new_energy.nuclear",
  acad="I10 I1 I7", own="E01 E02",
  area="氢基直接还原|富氢冶炼低碳工艺|氢冶金反应动力学",
  nt="氢冶金低碳炼钢工艺中试|高炉富氢喷吹降碳技术攻关|氢基竖炉直接还原铁中试验证",
  nc="公司现有长流程产线吨钢碳排放约{1.8/1.9/2.0}吨，面临欧盟碳边境调节机制带来的出口压力。|"
     "集团规划在东海岛建设{#30-100}万吨级氢基竖炉示范线，但缺乏球团还原特性和工艺参数的系统数据。|"
     "目前高炉喷吹焦炉煤气试验刚起步，喷吹量提高后炉况波动明显。",
  na="希望联合高校院所开展氢冶金工艺中试，摸清还原气成分、温度与金属化率之间的关系。|"
     "需要合作方提供还原动力学模型和工艺包设计支持，目标吨钢降碳{20/30/40}%以上。|"
     "可开放生产现场和运行数据，共建低碳冶金联合实验室。",
  nk="氢冶金|低碳炼钢|中试|降碳|高炉富氢|竖炉|碳排放|球团",
  comp="氢还原工艺设计|冶金反应动力学|炼铁工艺中试|碳排放核算",
  ct="富氢气体直接还原铁矿球团技术|氢基竖炉还原过程数值模拟与工艺优化|高炉喷吹富氢气体冶炼成套技术|低碳炼铁流程能质平衡分析方法",
  cs="系统研究了H2/CO混合气氛下氧化球团的还原膨胀与粉化行为。|"
     "建立了竖炉内气固两相流与传热传质耦合模型，可预测金属化率分布。|"
     "在{#50-200}立方米试验高炉上完成富氢喷吹工业试验，燃料比明显下降。|"
     "形成了从原料适配、还原工艺到尾气循环的完整技术方案。",
  ck="直接还原铁|DRI|氢气还原|H2/CO混合气|竖炉模拟|金属化率|富氢喷吹|低碳冶金",
  pat="一种富氢气氛下氧化球团还原膨胀抑制方法|一种氢基竖炉还原气加热与循环利用系统|一种高炉风口喷吹焦炉煤气的控制方法",
  ins="高温荷重还原软熔滴落测定仪@RSD-1600|热重-差热同步分析仪@TGA-DSC 3+",
  modes="jd cd jp tc", trl="5-7", budget="200-2000",
  en="Pilot trial of hydrogen-based low-carbon steelmaking|"
     "Our blast-furnace route emits about 1.9 t CO2 per tonne of steel. We look for partners to pilot hydrogen-rich injection and shaft-furnace direct reduction, with kinetics data and process design.|"
     "Hydrogen direct reduction of iron ore pellets|"
     "Kinetic models and pilot data for H2/CO reduction of pellets in shaft furnaces, with metallization prediction and off-gas recycling.")

T("steel_slag", ind="green_steel", f="environment.solid_waste new_materials.inorganic_nonmetal",
  acad="I1 U4", own="E01 E02",
  area="冶金渣资源化|钢渣基胶凝材料|钢渣碳酸化固碳",
  nt="钢渣综合利用与高值化途径开发|转炉钢渣安定性处理及建材化利用|钢渣堆存减量与资源化技术合作",
  nc="公司每年产生转炉钢渣约{#40-120}万吨，综合利用率不足{50/60}%，堆场压力逐年增大。|"
     "钢渣中游离氧化钙含量高，用作道路基层和混凝土掺合料时安定性不合格。|"
     "环保督查对固废堆存提出了明确的减量时间表。",
  na="寻求钢渣稳定化处理和高附加值利用的成熟技术，优先考虑可以规模化落地的方案。|"
     "希望开发钢渣微粉、透水砖或路基材料等产品，并完成相关性能验证。|"
     "欢迎具备中试条件的团队合作建设示范线。",
  nk="钢渣|固废利用|安定性|建材|路基材料|游离氧化钙|资源化",
  comp="冶金固废处理|胶凝材料配方|建材性能评价|工艺放大",
  ct="转炉渣有压热闷与快速稳定化技术|冶金渣基低碳胶凝材料制备技术|钢渣矿化封存二氧化碳协同制备建材|钢渣微粉高活性激发及在混凝土中的应用",
  cs="通过有压热闷使f-CaO在{#2-4}小时内充分消解，处理后浸水膨胀率低于{1.5/2.0}%。|"
     "利用钢渣、矿渣和脱硫石膏复配制备无熟料胶凝材料，28天抗压强度超过{#32-45}MPa。|"
     "开展了钢渣加速碳酸化试验，每吨钢渣可固定二氧化碳{#80-150}千克。|"
     "成果已在华南两家钢厂配套建设示范线。",
  ck="转炉渣|f-CaO|热闷|胶凝材料|碳酸化|矿化固碳|钢渣微粉|大宗固废",
  pat="一种转炉钢渣有压热闷稳定化处理方法|一种钢渣基无熟料胶凝材料及其制备方法",
  ins="X射线衍射仪@XRD-D8A|压蒸釜安定性试验装置@YZF-2S",
  modes="tt jd cd ts", trl="6-8", budget="100-800")

T("steel_surface", ind="green_steel electronic_information",
  f="electronic_information.software advanced_manufacturing.industrial_automation",
  acad="I6 U5", ent="E25", own="E01",
  area="带钢表面缺陷视觉识别|工业机器视觉检测|深度学习缺陷分类",
  nt="冷轧板表面缺陷在线检测系统升级|冷轧产线表面质量智能识别|镀锌板表面瑕疵自动判级",
  nc="现有表检系统误报率高，{划伤/辊印/夹杂}等缺陷需要人工复判，质检员每班要看上千张图像。|"
     "产线速度提高到{#600-900}米/分钟后，原系统漏检问题突出，客户投诉增加。|"
     "缺陷样本分布极不均衡，少见缺陷几乎没有标注数据。",
  na="希望引入基于人工智能的视觉检测方案，实现缺陷自动分类与判级，误报率降低一半以上。|"
     "需要与现有MES和质量追溯系统打通，检测结果能实时反馈到轧制工艺。|"
     "可提供历史图像数据和现场安装条件。",
  nk="冷轧|表面缺陷|在线检测|人工智能|质检|误报率|图像识别",
  comp="机器视觉算法|缺陷样本标注与增强|工业相机与光源设计|MES系统集成",
  ct="基于深度学习的带钢表面瑕疵识别系统|小样本工业缺陷检测与迁移学习方法|高速产线线阵相机成像与光照设计|金属表面缺陷生成式数据增强技术",
  cs="采用线阵CCD结合多角度光源成像，可在{#10-20}米/秒速度下获取清晰图像。|"
     "提出小样本迁移学习模型，对罕见缺陷的识别召回率提升约{#15-30}个百分点。|"
     "系统支持缺陷定位、分类和等级评定，已在{两/三}条冷轧及镀锌线部署。|"
     "提供边缘推理盒与模型持续训练服务。",
  ck="机器视觉|深度学习|缺陷识别|带钢|线阵相机|小样本学习|边缘推理|目标检测",
  pat="一种基于注意力机制的带钢表面缺陷分类方法|一种金属板材表面缺陷图像的生成式增强方法",
  ins="高速线阵工业相机测试平台@LineScan-16K|GPU深度学习训练服务器@DLS-A800",
  modes="cd jd ts", trl="6-8", budget="80-500",
  en="Upgrade of inline surface defect detection for cold-rolled strip|"
     "Our inspection system raises too many false alarms and misses rare defects at 800 m/min. We want an AI vision system that classifies and grades defects and feeds results back to our MES.|"
     "Deep-learning surface defect recognition for steel strip|"
     "Few-shot defect classifiers, line-scan imaging and edge inference, deployed on cold-rolling and galvanizing lines.")

# --- green petrochemical ---------------------------------------------------
T("petro_ccus", ind="green_petrochemical", f="environment.carbon new_materials.fine_chemicals",
  acad="U7 L3", own="E04 E05",
  area="二氧化碳捕集分离|CO2资源化利用|碳捕集吸收剂",
  nt="炼化装置烟气二氧化碳捕集与利用|制氢装置尾气碳捕集示范|炼化副产CO2高值化利用路径研究",
  nc="公司炼化一体化装置每年排放二氧化碳约{#80-300}万吨，其中制氢装置尾气浓度较高，具备捕集条件。|"
     "传统MEA吸收工艺能耗高、胺液降解快，再生蒸汽成本难以承受。|"
     "园区有下游企业可消纳食品级CO2，但纯度指标要求严格。",
  na="寻找低能耗捕集技术，目标再生能耗低于{2.4/2.6}GJ/吨CO2。|"
     "希望合作开展CO2制甲醇或碳酸酯等利用路线的技术经济分析和中试。|"
     "项目拟纳入企业碳达峰行动方案，需要形成可复制的示范工程。",
  nk="碳捕集|二氧化碳|CCUS|烟气|降碳|炼化|甲醇",
  comp="吸收剂开发|气体分离工艺|CO2转化催化|技术经济分析",
  ct="低能耗相变吸收剂捕集烟气二氧化碳技术|固体胺吸附剂变温吸附CO2分离工艺|二氧化碳加氢制甲醇铜基催化剂|工业尾气CO2提纯制食品级液体二氧化碳",
  cs="开发的相变吸收剂再生能耗较MEA降低约{#25-35}%，已完成千吨级中试。|"
     "固体胺吸附剂循环{#5-20}00次后容量保持率超过90%。|"
     "铜锌铝催化剂在{#5-8}MPa下甲醇选择性超过{#85-95}%。|"
     "可提供捕集装置流程模拟、设备选型和全生命周期减排核算。",
  ck="CO2捕集|相变吸收剂|MEA|变温吸附|CO2加氢|甲醇合成|碳减排|过程模拟",
  pat="一种用于烟气二氧化碳捕集的相变吸收剂|一种二氧化碳加氢制甲醇的铜基催化剂及其制备方法",
  ins="气体吸附分析仪@ASAP-2460|高压固定床催化评价装置@HPFB-300",
  modes="jd tl tt tc", trl="5-7", budget="300-3000",
  en="CO2 capture and utilisation at a refinery|"
     "We look for a low-energy capture process for hydrogen-unit tail gas and an assessment of CO2-to-methanol routes, leading to a demonstration unit.|"
     "Low-energy CO2 capture and conversion|"
     "Phase-change absorbents with about 30% lower regeneration energy and copper catalysts for CO2 hydrogenation to methanol.")

T("petro_polyolefin", ind="green_petrochemical new_materials", f="new_materials.polymer new_materials.fine_chemicals",
  acad="U7 U4", own="E04",
  area="高端聚烯烃专用料|茂金属催化聚合|聚烯烃链结构调控",
  nt="高端聚烯烃专用料牌号开发|茂金属聚乙烯薄膜料国产化|高透明聚丙烯专用料开发",
  nc="公司聚乙烯、聚丙烯装置以通用料为主，产品同质化严重，利润空间被压缩。|"
     "下游包装和医疗客户需要高透明、高抗冲的专用料，目前主要依赖进口。|"
     "缺乏催化剂筛选和中试评价手段，新牌号开发周期长。",
  na="希望联合开发{#2-4}个高附加值专用料牌号，包括茂金属薄膜料和医用聚丙烯。|"
     "需要合作方协助建立分子结构与加工性能的关联模型，缩短配方开发周期。|"
     "成果可采用技术许可或联合开发方式，由我司负责工业化放大。",
  nk="聚烯烃|专用料|牌号开发|茂金属|聚乙烯|聚丙烯|进口替代",
  comp="聚合催化剂|高分子结构表征|加工应用评价|工业放大",
  ct="茂金属催化剂负载化及乙烯共聚技术|聚丙烯成核透明改性技术|聚烯烃分子量分布与链结构精准调控|医用级聚烯烃洁净化生产工艺",
  cs="开发的负载型茂金属催化剂活性高、颗粒形态好，适合气相和淤浆工艺。|"
     "通过山梨醇类成核剂复配，聚丙烯雾度可降至{#6-10}%以下。|"
     "建立了GPC-IR、TREF等链结构表征方法，可指导牌号设计。|"
     "与下游薄膜和注塑企业合作完成了应用评价。",
  ck="茂金属催化剂|乙烯共聚|成核剂|透明聚丙烯|链结构表征|GPC|TREF|改性",
  pat="一种负载型茂金属催化剂及其在乙烯共聚中的应用|一种高透明聚丙烯组合物及其制备方法",
  ins="高温凝胶渗透色谱仪@GPC-IR5|旋转流变仪@MCR-302",
  modes="jd tl cd", trl="6-8", budget="300-1500")

T("petro_wastewater", ind="green_petrochemical", f="environment.water environment.clean_production",
  acad="L3 U7", ent="E06", own="E04 E05",
  area="高盐有机废水处理|高级氧化与膜分离|废水近零排放工艺",
  nt="石化高盐含油废水近零排放技术|炼化废水深度处理与回用|化工园区高盐废水蒸发结晶分盐",
  nc="装置产生的含盐废水COD高、含油多，现有生化处理难以稳定达标。|"
     "园区要求新建项目废水回用率达到{#80-95}%以上，外排指标进一步收紧。|"
     "蒸发结晶得到的杂盐属于危废，处置费用每吨超过{#2-4}000元。",
  na="希望引进高级氧化加膜浓缩的组合工艺，实现废水回用和分盐资源化。|"
     "需要合作方开展小试和中试，提供工艺包和运行参数。|"
     "若有成熟案例，可考虑EPC或技术服务合作。",
  nk="废水处理|高盐废水|零排放|回用|COD|蒸发结晶|分盐",
  comp="高级氧化工艺|膜分离技术|结晶分盐|水处理工程设计",
  ct="催化臭氧氧化深度处理难降解有机废水技术|高盐废水纳滤分盐与MVR蒸发结晶集成工艺|含油废水气浮-生化耦合处理工艺|废水中试装置设计与运行优化",
  cs="研制的负载型臭氧催化剂可使COD去除率提高{#20-40}%。|"
     "纳滤分盐后氯化钠纯度达到工业盐标准，可资源化利用。|"
     "已为{#3-6}家石化和煤化工企业提供废水处理工艺包。|"
     "拥有移动式撬装中试装置，可在现场连续运行验证。",
  ck="催化臭氧氧化|纳滤|MVR|分盐|难降解有机物|工业盐|撬装中试|水回用",
  pat="一种用于难降解废水的负载型臭氧催化剂|一种高盐废水纳滤分盐与蒸发结晶组合工艺",
  ins="总有机碳分析仪@TOC-L|离子色谱仪@IC-6000",
  modes="ts cd tt jd", trl="6-8", budget="150-1200")

# --- high-end paper --------------------------------------------------------
T("paper_eucalyptus", ind="high_end_paper", f="biomedicine.agricultural_biotech environment.ecology",
  acad="I4 I9", own="E08 E07",
  area="桉树遗传改良|速生林定向培育|林木组培快繁",
  nt="桉树原料林良种选育与提质增效|桉木纤维原料林单产提升技术|桉树无性系组培苗扩繁合作",
  nc="公司在粤西自有及合作原料林约{#10-40}万亩，近年林分老化、单位面积蓄积量下降。|"
     "现有无性系木材基本密度和制浆得率差异大，影响纸浆品质稳定性。|"
     "连栽导致地力衰退，林地生态争议也在增加。",
  na="希望选育一批速生、高浆得率、抗风抗青枯病的桉树新无性系。|"
     "需要配套组培快繁和测土配方施肥技术，实现苗木规模化供应。|"
     "欢迎共建良种繁育基地，开展多点区域试验。",
  nk="桉树|原料林|良种选育|组培苗|浆得率|单产|林地",
  comp="林木遗传育种|组织培养快繁|林地养分管理|木材性质测定",
  ct="高浆得率桉树无性系选育|桉树组培快繁与轻基质育苗技术|尾巨桉抗青枯病分子标记辅助育种|桉树人工林长期生产力维持技术",
  cs="选育的新无性系{#5-7}年生蓄积量较对照提高{#15-30}%，制浆得率超过52%。|"
     "建立了从外植体消毒到生根移栽的组培体系，年可繁育苗木{#3-8}00万株。|"
     "开发了与青枯病抗性相关的SNP标记，可在苗期完成筛选。|"
     "在雷州半岛布设了区域试验点，积累了连续多年的生长数据。",
  ck="尾巨桉|无性系|组培快繁|分子标记|青枯病|蓄积量|制浆得率|人工林",
  pat="一种桉树组培苗轻基质生根培养方法|一种与桉树青枯病抗性相关的SNP分子标记",
  ins="木材纤维形态分析仪@FQA-360|近红外木材性质快速分析仪@NIR-Wood2",
  modes="jd tl jp", trl="5-8", budget="100-600")

T("paper_barrier", ind="high_end_paper new_materials", f="new_materials.paper_materials new_materials.polymer",
  acad="I4 U8", ent="E63", own="E09 E07 E56",
  area="纸基阻隔包装|生物基阻隔涂层|可降解纸塑替代",
  nt="食品级纸基阻隔包装替代塑料|可回收纸杯淋膜替代技术|防油防水纸基外卖餐盒开发",
  nc="禁塑政策升级后，餐饮和预制菜客户希望用纸基包装替代PE淋膜和塑料托盘。|"
     "现有含氟防油剂面临法规限制，需要找到安全替代方案。|"
     "纸基材料的阻水阻氧性能不足，冷冻和蒸煮场景容易软塌渗漏。",
  na="希望开发水性阻隔涂布配方，实现防油、防水和一定阻氧性能，并可回收制浆。|"
     "需要完成食品接触材料迁移测试，满足出口要求。|"
     "具备涂布生产线，可配合开展上机试验。",
  nk="纸基包装|以纸代塑|阻隔|防油|淋膜|食品包装|可回收",
  comp="阻隔涂层配方|纸张涂布工艺|食品接触材料测试|包装结构设计",
  ct="无氟防油纸基材料制备技术|水性丙烯酸-多糖复合阻隔涂层|纳米纤维素增强纸基阻氧涂布|可重新制浆的纸杯水性涂层",
  cs="采用壳聚糖与改性淀粉复配，纸张防油等级达到{#9-12}级。|"
     "纳米纤维素涂层使氧气透过率降低一个数量级以上。|"
     "水性涂层纸杯可直接进入废纸回收流程，碎解率超过{#90-98}%。|"
     "已完成小规模上机试验和食品接触迁移测试。",
  ck="无氟防油|水性涂层|纳米纤维素|阻氧|涂布|可重新制浆|生物基|壳聚糖",
  pat="一种无氟防油纸及其制备方法|一种纳米纤维素基阻隔涂布液及其应用",
  ins="透氧透湿测试仪@OTR-8001|实验室涂布机@KCC-303",
  modes="jd cd tl", trl="5-8", budget="80-400")

T("paper_water", ind="high_end_paper", f="environment.water environment.clean_production new_energy.efficiency",
  acad="I4 U8", own="E07 E09",
  area="制浆造纸节水减排|白水循环与清洁生产|碱回收系统优化",
  nt="造纸产线节水降耗与白水闭路循环|制浆车间吨浆水耗降低技术|造纸厂清洁生产审核与节能改造",
  nc="公司纸机吨纸取水量约{#8-15}立方米，距离行业先进值仍有差距。|"
     "白水中细小纤维和胶黏物积累，回用比例提高后断纸次数明显增加。|"
     "碱回收炉负荷偏高，黑液固含量波动影响蒸汽产量。",
  na="希望对全厂水系统进行摸底，制定节水方案，目标吨纸水耗降低{#20-35}%。|"
     "需要开发胶黏物控制和白水净化技术，保证纸机运行稳定。|"
     "同时希望开展清洁生产审核。",
  nk="节水|白水回用|造纸|清洁生产|水耗|黑液|节能",
  comp="造纸水系统优化|胶黏物控制|碱回收工艺|清洁生产审核",
  ct="造纸白水多级纤维回收与闭路循环技术|制浆黑液高浓蒸发与碱回收效率提升|造纸湿部胶黏物在线监测与控制|纸厂水网络夹点分析与优化",
  cs="基于水夹点分析方法，可系统识别全厂节水潜力。|"
     "开发的白水气浮与超滤组合工艺，纤维回收率超过{#90-97}%。|"
     "黑液降膜蒸发改造后出站固含量提高到{#70-80}%。|"
     "已在国内多家文化纸和生活用纸企业完成节水改造。",
  ck="白水|闭路循环|黑液|碱回收|胶黏物|水夹点|节水改造|湿部化学",
  pat="一种造纸白水中胶黏物的去除方法|一种制浆黑液降膜蒸发器防结垢装置",
  ins="动态滤水仪@DFR-05|胶黏物分析仪@StickyScan-2",
  modes="tc ts cd", trl="6-9", budget="50-400")

# --- green energy ----------------------------------------------------------
T("wind_om", ind="green_energy equipment_manufacturing",
  f="new_energy.renewable advanced_manufacturing.electric_power electronic_information.software",
  acad="L2 L6 I6", own="E10",
  area="海上风电智能运维|风机状态监测与故障诊断|风电叶片无人机巡检",
  nt="海上风电场智能运维与故障预警|风机叶片损伤无人机巡检方案|海上风电机组预测性维护系统建设",
  nc="公司运维的徐闻海域风电场共有{#40-100}台机组，海况复杂，出海窗口期每年不足{#150-200}天。|"
     "齿轮箱和主轴承故障导致的停机损失较大，目前只能定期检修。|"
     "叶片前缘腐蚀和雷击损伤靠人工绳索检查，效率低、风险高。",
  na="希望建设基于SCADA和振动数据的故障预警模型，提前{#2-4}周识别重大部件劣化。|"
     "需要无人机自动巡检和叶片缺陷识别方案，减少出海作业次数。|"
     "可提供历史运行数据和现场试点机组。",
  nk="海上风电|运维|故障预警|无人机巡检|叶片|预测性维护|SCADA",
  comp="振动信号分析|故障诊断算法|无人机巡检|海洋工程运维",
  ct="风电机组传动链振动监测与故障诊断|基于数字孪生的海上风机健康管理|叶片缺陷无人机自主巡检与图像识别|海上运维窗口期气象海况预报",
  cs="融合SCADA与振动数据建立了齿轮箱和主轴承劣化预警模型，可提前数周预警。|"
     "无人机按预设航线自动拍摄叶片，缺陷识别准确率超过{#90-96}%。|"
     "构建了风机数字孪生体，支持剩余寿命评估和检修计划优化。|"
     "在南海海域风电场开展了示范应用。",
  ck="状态监测|振动分析|数字孪生|剩余寿命|无人机|叶片缺陷|海况预报|传动链",
  pat="一种海上风电机组主轴承故障预警方法|一种风机叶片无人机自主巡检航迹规划方法",
  ins="多通道振动采集分析系统@VibPro-32|工业级多旋翼巡检无人机@UAV-M300X",
  modes="jd ts cd", trl="6-8", budget="100-800",
  en="Predictive maintenance for an offshore wind farm|"
     "We operate about 70 turbines off Xuwen with short weather windows. We need failure prediction from SCADA and vibration data plus drone-based blade inspection.|"
     "Condition monitoring and digital twins for offshore wind turbines|"
     "Drivetrain vibration diagnostics, blade defect recognition from drone imagery and remaining-life estimation for offshore turbines.")

T("storage_bms", ind="green_energy new_materials", f="new_energy.storage electronic_information.software",
  acad="I7 L6", ent="E59", own="E11",
  area="储能电池安全预警|电池管理系统|热失控防控",
  nt="工商业储能系统安全预警与电池管理优化|储能电站热失控早期预警|储能集装箱BMS算法升级",
  nc="公司已在园区投运{#5-20}MWh工商业储能项目，电芯一致性随运行时间下降明显。|"
     "行业内储能电站火灾事故时有发生，业主对安全监测提出了更高要求。|"
     "现有BMS的SOC估算误差较大，影响充放电策略和收益。",
  na="希望引入多信号融合的热失控早期预警技术，如气体、温度与内阻监测。|"
     "需要优化SOC/SOH估算算法，误差控制在{3/5}%以内。|"
     "可在现有电站开展试点改造。",
  nk="储能|电池管理|热失控|安全预警|SOC|电芯一致性|储能电站",
  comp="电池建模与状态估计|热失控机理研究|传感器与监测硬件|储能系统集成",
  ct="锂离子电池热失控多信号融合预警技术|基于电化学模型的电池SOC/SOH联合估计|储能电池簇均衡与一致性管理|电池产气特征与早期故障诊断",
  cs="通过监测电池早期特征气体和膨胀力，可在热失控前{#5-15}分钟发出预警。|"
     "电化学-数据混合模型在全生命周期内SOC估计误差小于{2/3}%。|"
     "提供储能电池簇主动均衡方案，提升可用容量。|"
     "建有电池滥用试验舱，可开展针刺、过充等安全测试。",
  ck="锂离子电池|热失控|特征气体|SOC估计|SOH|主动均衡|电池安全|BMS",
  pat="一种基于特征气体的储能电池热失控预警方法|一种电池簇主动均衡控制电路",
  ins="电池充放电测试系统@BTS-4000|加速量热仪@ARC-EV+",
  modes="jd cd ts", trl="6-8", budget="80-500",
  en="Safety warning and BMS upgrade for commercial energy storage|"
     "Cell inconsistency and SOC errors limit our storage projects, and owners demand early thermal-runaway warning. We look for gas/temperature fusion monitoring and better SOC/SOH estimation.|"
     "Thermal-runaway early warning for lithium-ion storage|"
     "Multi-signal warning based on vent gas and swelling force, with hybrid electrochemical models for SOC/SOH estimation.")

T("biomass", ind="green_energy", f="new_energy.renewable environment.solid_waste",
  acad="U7 L6", own="E12",
  area="生物质热化学转化|农林废弃物气化|生物质成型燃料",
  nt="蔗渣与林业剩余物能源化利用|生物质气化耦合供热改造|农林废弃物成型燃料品质提升",
  nc="雷州半岛甘蔗种植面积大，糖厂蔗渣和桉树皮、枝丫材等剩余物大量堆放。|"
     "现有生物质锅炉燃烧效率偏低，结渣和腐蚀问题突出。|"
     "园区用户希望获得稳定、低价的绿色蒸汽。",
  na="希望合作开发生物质气化或热解联产技术，提高能源转化效率。|"
     "需要解决高碱金属原料结渣问题，并分析生物炭等副产品的市场价值。|"
     "可提供原料和场地，共建示范装置。",
  nk="生物质能|蔗渣|气化|锅炉|结渣|绿色蒸汽|农林废弃物",
  comp="热化学转化工艺|燃烧与结渣控制|反应器设计|副产品利用",
  ct="生物质循环流化床气化技术|高碱生物质燃烧结渣抑制添加剂|生物质热解多联产制备生物炭|生物质成型燃料低能耗压缩工艺",
  cs="循环流化床气化炉冷煤气效率达到{#70-78}%，焦油含量低。|"
     "复合添加剂可将灰熔点提高{#100-200}℃，有效缓解结渣。|"
     "热解联产燃气、生物油和生物炭，综合能效高于直燃发电。|"
     "已在广西和雷州半岛糖厂开展示范。",
  ck="流化床气化|热解|生物炭|灰熔点|碱金属|成型燃料|焦油|联产",
  pat="一种抑制高碱生物质燃烧结渣的复合添加剂|一种生物质热解气化多联产装置",
  ins="灰熔融性测定仪@AFT-5000|热解-气相色谱质谱联用仪@Py-GCMS",
  modes="jd tt jp", trl="5-8", budget="200-1500")

T("pv_fishery", ind="green_energy shrimp", f="new_energy.renewable environment.ecology",
  acad="L6 U1", own="E13 E11",
  area="渔光互补|水面光伏生态效应|光伏与养殖协同",
  nt="渔光互补光伏电站与对虾养殖协同|养殖塘水面光伏遮光对产量影响研究|渔光互补项目生态效益论证",
  nc="公司计划在吴川沿海养殖塘上建设{#20-80}MW渔光互补项目，养殖户担心遮光影响对虾生长。|"
     "桩基和支架长期处于高盐高湿环境，腐蚀风险大。|"
     "项目审批需要提供养殖与发电协同的科学论证。",
  na="希望合作开展光伏板遮光率、水温、溶氧与对虾产量关系的跟踪研究。|"
     "需要优化组件排布和支架高度，兼顾发电量与养殖效益。|"
     "形成可推广的渔光互补养殖技术规范。",
  nk="渔光互补|光伏|对虾养殖|遮光|溶氧|水温|养殖塘",
  comp="光伏电站设计|养殖水环境监测|生态效益评价|支架防腐",
  ct="水面光伏阵列排布与发电量优化设计|光伏遮荫条件下养殖水体理化特性研究|渔光互补模式对虾生长与品质评价|沿海高盐环境光伏支架腐蚀防护",
  cs="建立了遮光率与水温、溶解氧的响应关系模型。|"
     "在不同遮光条件下开展了对照养殖试验，比较对虾成活率和规格。|"
     "提出组件高架与间隔排布方案，兼顾透光与发电。|"
     "可为项目提供环境影响与生态效益评价。",
  ck="水面光伏|遮光率|溶解氧|发电量|养殖水体|光伏支架|生态评价|对照养殖",
  pat="一种适用于养殖塘的高架光伏支架结构",
  ins="多参数水质监测仪@YSI-EXO2|光伏组件IV特性测试仪@PVA-1500",
  modes="jd tc ts", trl="5-7", budget="50-300")

# --- new materials ---------------------------------------------------------
T("mat_composite", ind="new_materials equipment_manufacturing", f="new_materials.polymer advanced_manufacturing.marine",
  acad="U4 L2 U6", own="E65 E14",
  area="船用复合材料轻量化|纤维增强树脂基复合材料|复合材料成型工艺",
  nt="船艇轻量化复合材料结构开发|玻璃钢渔船升级为碳玻混杂复合材料|复合材料真空导入成型工艺优化",
  nc="公司主要生产{#10-30}米级玻璃钢渔船和工作艇，船体偏重、油耗高。|"
     "手糊工艺质量波动大，车间苯乙烯气味重，工人流失严重。|"
     "客户对船体抗冲击和耐海水老化提出了更高要求。",
  na="希望开发碳纤维/玻璃纤维混杂结构，使船体减重{#15-25}%以上。|"
     "需要协助将手糊改为真空导入工艺，并建立质量控制规范。|"
     "欢迎合作进行结构设计、样件试制和海上试验。",
  nk="复合材料|船艇|轻量化|玻璃钢|碳纤维|真空导入|减重",
  comp="复合材料结构设计|树脂体系开发|成型工艺|力学性能测试",
  ct="碳/玻混杂纤维增强船体结构设计|低苯乙烯排放乙烯基酯树脂体系|大型构件真空辅助树脂传递模塑工艺|海洋环境复合材料老化与寿命评估",
  cs="开发了混杂铺层设计方法，在保证刚度的前提下可显著减重。|"
     "低挥发树脂体系使车间苯乙烯浓度下降{#50-70}%。|"
     "掌握{#10-20}米级构件VARI成型工艺，孔隙率低于2%。|"
     "开展了湿热和盐雾加速老化试验，建立寿命预测模型。",
  ck="碳纤维|混杂铺层|VARI|乙烯基酯树脂|孔隙率|湿热老化|船体结构|FRP",
  pat="一种碳玻混杂纤维增强复合材料船体结构|一种大型复合材料构件真空导入成型方法",
  ins="万能材料试验机@UTM-5105|动态热机械分析仪@DMA-850",
  modes="jd cd tt", trl="5-7", budget="100-600",
  en="Lightweight composite hulls for fishing and work boats|"
     "We build 10-30 m FRP boats by hand lay-up. We want carbon/glass hybrid laminates and vacuum infusion to cut hull weight by about 20% and make quality consistent.|"
     "Fibre-reinforced composites for marine structures|"
     "Hybrid laminate design, vacuum-assisted resin infusion and ageing prediction for marine composite structures.")

T("mat_battery", ind="new_materials green_energy", f="new_materials.inorganic_nonmetal new_energy.storage",
  acad="U4 I7 U6", own="E15",
  area="磷酸铁锂正极材料|电池材料改性|锂电材料表征",
  nt="磷酸铁锂正极材料压实密度与低温性能提升|正极材料碳包覆工艺优化|电池级磷酸铁前驱体制备技术",
  nc="公司磷酸铁锂产线设计产能{#2-5}万吨，产品压实密度在{2.40/2.45}g/cm³左右，与头部企业存在差距。|"
     "下游储能客户对低温放电和循环寿命要求提高。|"
     "前驱体杂质波动大，批次一致性不稳定。",
  na="希望通过颗粒级配、碳包覆和离子掺杂等手段提升压实密度和倍率性能。|"
     "需要合作方提供材料表征和扣电、软包电池评测支持。|"
     "可共建联合实验室，成果按约定分成。",
  nk="磷酸铁锂|正极材料|压实密度|低温性能|碳包覆|电池材料|一致性",
  comp="正极材料合成|材料表征分析|电化学性能评价|工艺放大",
  ct="高压实磷酸铁锂颗粒级配与碳包覆技术|磷酸铁前驱体杂质控制与共沉淀工艺|锂电正极材料离子掺杂改性|电池材料失效分析与表征平台",
  cs="通过大小颗粒级配与原位碳包覆，压实密度提升至{2.55/2.60}g/cm³以上。|"
     "共沉淀工艺可使前驱体铁磷比稳定控制在窄区间内。|"
     "掺杂改性后材料{-20/-10}℃放电容量保持率明显提高。|"
     "具备XRD、SEM、ICP等全套表征手段和电池试制线。",
  ck="LFP|颗粒级配|原位碳包覆|共沉淀|离子掺杂|倍率性能|扣式电池|失效分析",
  pat="一种高压实密度磷酸铁锂正极材料的制备方法|一种低杂质电池级磷酸铁的共沉淀制备方法",
  ins="场发射扫描电子显微镜@FE-SEM 8230|电感耦合等离子体发射光谱仪@ICP-OES 5800",
  modes="jd jp tl", trl="5-8", budget="200-1000",
  en="Higher compaction density and low-temperature performance for LFP cathodes|"
     "Our LFP line runs at about 2.45 g/cm3 compaction density. We seek particle grading, carbon coating and doping know-how, plus cell-level testing support.|"
     "Lithium iron phosphate cathode engineering|"
     "Particle grading, in-situ carbon coating and ion doping that raise LFP compaction density and low-temperature capacity.")

T("mat_coating", ind="new_materials equipment_manufacturing green_energy", f="new_materials.fine_chemicals new_materials.polymer",
  acad="U4 L2", ent="E16", own="E17 E65 E10 E03",
  area="海洋重防腐涂层|无毒防污涂料|腐蚀防护与评价",
  nt="海洋钢结构重防腐涂层体系开发|船舶环保型防污涂料替代|码头钢桩浪溅区腐蚀防护方案",
  nc="公司承接的海工钢结构和船舶在浪溅区、潮差区腐蚀严重，涂层{#3-5}年就出现起泡剥落。|"
     "传统含铜防污漆面临环保限制，客户要求低毒或无毒替代。|"
     "缺少涂层性能加速评价手段，新配方验证周期长。",
  na="希望合作开发长效重防腐涂层体系，设计寿命{#15-25}年以上。|"
     "需要无毒防污涂料配方并完成挂板试验。|"
     "可提供实船和码头试验条件。",
  nk="防腐涂层|海洋腐蚀|防污涂料|钢结构|浪溅区|船舶涂料|耐盐雾",
  comp="涂料配方设计|腐蚀电化学测试|海洋挂板试验|表面处理工艺",
  ct="石墨烯改性环氧重防腐涂料|仿生低表面能无毒防污涂层|浪溅区钢结构包覆与阴极保护联合防护|涂层加速老化与腐蚀电化学评价方法",
  cs="石墨烯片层提高涂层屏蔽性能，耐盐雾时间超过{#3-6}000小时。|"
     "有机硅-聚氨酯低表面能涂层可显著降低藤壶附着。|"
     "建立了湛江港海洋挂板试验站，积累了多年实海数据。|"
     "可提供电化学阻抗、盐雾和湿热老化测试服务。",
  ck="石墨烯|环氧涂料|低表面能|无毒防污|阴极保护|电化学阻抗|盐雾试验|实海挂板",
  pat="一种石墨烯改性环氧重防腐涂料及其制备方法|一种有机硅-聚氨酯无毒防污涂层",
  ins="电化学工作站@CHI-760E|盐雾腐蚀试验箱@SST-900",
  modes="jd cd ts tl", trl="5-8", budget="80-500")

# --- equipment manufacturing -----------------------------------------------
T("equip_cage", ind="equipment_manufacturing golden_pompano",
  f="advanced_manufacturing.marine advanced_manufacturing.modern_agriculture_equipment",
  acad="L2 L5", ent="E17", own="E44",
  area="深远海养殖装备|抗风浪网箱设计|养殖工船与平台",
  nt="抗台风深海网箱结构优化|金鲳鱼深远海养殖平台选型与设计|重力式网箱智能投喂与监控系统",
  nc="公司在徐闻、雷州海域布设了{#40-120}口HDPE深水网箱养殖金鲳鱼，每年台风季都有网箱受损逃鱼。|"
     "离岸距离增加后，人工投喂和巡检成本快速上升。|"
     "计划建设一座半潜式养殖平台，但缺乏水动力和锚泊设计能力。",
  na="希望优化网箱框架和锚泊系统，使其能抵御{12/13/14}级台风。|"
     "需要开发远程投喂、水下监控和网衣破损识别系统。|"
     "欢迎联合开展海洋牧场装备示范。",
  nk="深海网箱|抗台风|金鲳鱼|养殖平台|锚泊|投喂|海洋牧场",
  comp="水动力分析|锚泊系统设计|智能投喂|水下监测",
  ct="重力式深水网箱水动力与结构安全评估|半潜式养殖平台总体设计|网衣破损水下视觉识别技术|深远海养殖自动投喂与远程监控系统",
  cs="基于数值水池和物理模型试验，评估网箱在极端海况下的受力与变形。|"
     "完成{#2-5}型养殖平台概念设计，具备船级社审图经验。|"
     "水下机器人搭载视觉算法，可自动识别网衣破洞。|"
     "投喂系统支持按鱼群摄食状态自适应调节投喂量。",
  ck="重力式网箱|水动力|物理模型试验|半潜式平台|网衣|水下机器人|自动投喂|锚泊系统",
  pat="一种抗台风升降式深水网箱|一种深远海养殖平台的自适应投喂系统",
  ins="波浪水槽@WaveFlume-60|水下机器人@ROV-Sea200",
  modes="jd cd jp", trl="5-8", budget="200-2000")

T("equip_robot", ind="equipment_manufacturing green_steel",
  f="advanced_manufacturing.robotics advanced_manufacturing.industrial_automation",
  acad="U5 U3", ent="E61 E18", own="E03 E65",
  area="焊接机器人|焊缝跟踪与路径规划|智能焊接工艺",
  nt="钢结构焊接自动化改造|中厚板机器人焊接焊缝跟踪|非标构件小批量焊接离线编程",
  nc="公司钢结构和船用构件以手工焊为主，熟练焊工难招且质量不稳定。|"
     "工件多为小批量非标件，示教编程耗时长，机器人利用率不足{#30-50}%。|"
     "中厚板多层多道焊对焊缝跟踪精度要求高。",
  na="希望引进激光视觉焊缝跟踪与离线编程方案，实现非标件快速上线。|"
     "需要配套焊接工艺数据库，保证焊缝一次合格率在{#95-98}%以上。|"
     "可开放车间作为示范工位。",
  nk="焊接自动化|机器人|钢结构|焊缝跟踪|离线编程|焊工|非标件",
  comp="机器人视觉|焊接工艺|路径规划|自动化集成",
  ct="激光结构光焊缝识别与实时跟踪技术|基于三维模型的焊接机器人离线编程|中厚板多层多道焊路径自动规划|焊接质量在线监测与工艺数据库",
  cs="结构光传感器在强弧光下仍能稳定提取坡口特征，跟踪精度约{0.2/0.3}毫米。|"
     "导入三维模型后可自动生成焊接轨迹，编程时间缩短{#60-80}%。|"
     "形成了覆盖常用钢种和板厚的焊接工艺参数库。|"
     "已在多家钢结构企业完成产线改造。",
  ck="焊缝跟踪|结构光|离线编程|多层多道焊|弧焊机器人|轨迹规划|工艺数据库|熔池监测",
  pat="一种基于结构光的焊缝实时跟踪方法|一种中厚板多层多道焊路径自动规划方法",
  ins="六轴弧焊机器人工作站@ArcBot-1400|三维激光扫描仪@LS-3D200",
  modes="cd tt ts", trl="6-9", budget="50-400")

T("agri_machinery", ind="pineapple equipment_manufacturing",
  f="advanced_manufacturing.modern_agriculture_equipment advanced_manufacturing.new_machinery",
  acad="I2 U5", ent="E19", own="E48 E49",
  area="丘陵坡地果蔬采收机械|菠萝生产全程机械化|热带作物农机装备",
  nt="菠萝采收机械化技术攻关|菠萝种植与采收全程机械化方案|菠萝田间运输与辅助采摘装备",
  nc="徐闻菠萝种植面积大，采收季每亩需投入{#6-12}个人工，人工成本已占生产成本一半。|"
     "菠萝叶片带刺、植株低矮，现有通用农机难以作业。|"
     "坡地红土在雨季泥泞，机具通过性差。",
  na="希望研制轻简化的菠萝辅助采摘和田间输送装备，提升采收效率{#2-3}倍。|"
     "需要配套种植行距和农艺规范，实现农机农艺融合。|"
     "可提供{#1-3}00亩试验田。",
  nk="菠萝|采收|机械化|农机|人工成本|田间运输|坡地",
  comp="农机结构设计|农机农艺融合|田间试验|机电控制",
  ct="低矮作物自走式辅助采收平台|果蔬采收末端执行器柔性夹持技术|红壤坡地履带式田间运输底盘|热带作物种植-采收全程机械化技术模式",
  cs="研制的自走式平台配备输送带，采摘工人只需掰果放置，效率显著提高。|"
     "柔性夹持末端可减少果实碰伤。|"
     "履带底盘接地比压低，适合雨季红壤坡地作业。|"
     "在雷州半岛建立了热带作物机械化示范基地。",
  ck="自走式平台|末端执行器|柔性夹持|履带底盘|红壤|农机农艺融合|热带作物|全程机械化",
  pat="一种低矮作物自走式辅助采收输送平台|一种果实柔性夹持采摘末端执行器",
  ins="农机田间性能测试系统@AgriTest-X|三维运动捕捉系统@MoCap-12",
  modes="jd cd tt", trl="5-8", budget="50-300")

# --- modern medicine -------------------------------------------------------
T("med_marine_drug", ind="modern_medicine", f="biomedicine.chemical_drugs biomedicine.medical_biotech",
  acad="L4 U1 U6", own="E20",
  area="海洋天然产物|海洋药物先导化合物|海洋微生物次级代谢产物",
  nt="海洋来源创新药先导化合物筛选|海洋微生物抗菌活性物质开发|海洋天然产物抗肿瘤候选药物合作",
  nc="公司聚焦海洋创新药，管线中缺少具有自主知识产权的早期候选化合物。|"
     "内部化合物库规模有限，活性筛选通量不足。|"
     "希望利用南海丰富的海洋生物资源打造差异化管线。",
  na="寻求海洋天然产物或微生物次级代谢产物中具有抗耐药菌或抗肿瘤活性的先导化合物。|"
     "需要合作方具备结构鉴定、活性筛选和初步成药性评价能力。|"
     "可采用里程碑付款的许可或合作开发模式。",
  nk="海洋药物|创新药|先导化合物|抗菌|抗肿瘤|活性筛选|海洋生物",
  comp="天然产物分离鉴定|高通量活性筛选|药物化学优化|成药性评价",
  ct="南海珊瑚共附生真菌次级代谢产物发掘|海洋放线菌来源新型抗耐药菌化合物|海洋天然产物库与高通量筛选平台|海洋生物碱类抗肿瘤候选物结构优化",
  cs="从南海珊瑚、海绵中分离共附生微生物{#1-3}000余株，建立了特色菌种库。|"
     "发现多个对MRSA具有强抑制活性的新骨架化合物。|"
     "拥有含{#3-8}000个海洋天然产物的化合物库，支持高通量筛选。|"
     "已有候选物完成初步药代和毒理评价。",
  ck="海洋天然产物|次级代谢产物|共附生真菌|放线菌|MRSA|化合物库|高通量筛选|结构鉴定",
  pat="一种海洋真菌来源的抗耐药菌化合物及其应用|一种海洋生物碱衍生物及其抗肿瘤用途",
  ins="超高效液相色谱-高分辨质谱联用仪@UPLC-QTOF 6546|600MHz核磁共振波谱仪@NMR-600",
  modes="tl jd tt", trl="3-5", budget="300-3000",
  en="Marine-derived lead compounds for new drugs|"
     "Our pipeline lacks early candidates with our own IP. We look for marine natural products or microbial metabolites active against resistant bacteria or tumours, with structure elucidation and early ADMET data.|"
     "Marine natural products drug discovery|"
     "A library of several thousand marine natural products and microbial metabolites, screened against resistant pathogens and tumour cell lines.")

T("med_device", ind="modern_medicine",
  f="biomedicine.medical_devices new_materials.biomedical_materials high_tech_services.testing",
  acad="U2 U4", own="E21",
  area="医用材料生物相容性评价|医疗器械注册前研究|医用高分子材料",
  nt="一次性医用耗材生物相容性评价|医用导管材料国产化与性能验证|二类医疗器械注册前研发验证支持",
  nc="公司计划新增{#2-4}个一次性输注类和导管类产品，需要按照GB/T 16886系列完成生物学评价。|"
     "外送试验排期长，注册周期一拖再拖。|"
     "部分原材料来自新供应商，化学表征数据不完整。",
  na="希望合作方提供细胞毒性、致敏、刺激等生物学试验和可沥滤物分析。|"
     "需要协助整理注册资料中的研究资料部分。|"
     "长期看希望共建医用材料评价平台。",
  nk="医疗器械|生物相容性|医用耗材|导管|注册|原材料|生物学评价",
  comp="生物学评价试验|材料化学表征|医疗器械法规|医用高分子加工",
  ct="医疗器械生物学评价与风险分析|医用高分子可沥滤物与提取物分析|医用聚氨酯导管材料改性与加工|体外细胞毒性与血液相容性评价平台",
  cs="按ISO 10993开展细胞毒性、致敏、刺激和血液相容性试验。|"
     "建立了医用高分子可提取物和可沥滤物的GC-MS与LC-MS分析方法。|"
     "开发的聚氨酯导管材料抗折、抗凝性能良好。|"
     "已协助{#1-3}0余家企业完成注册前的研究验证。",
  ck="ISO 10993|生物学评价|细胞毒性|可沥滤物|血液相容性|医用聚氨酯|化学表征|风险分析",
  pat="一种抗凝血医用聚氨酯导管材料及其制备方法",
  ins="气相色谱质谱联用仪@GCMS-8050|细胞培养与成像分析系统@CellView-5",
  modes="ts tc jp", trl="6-8", budget="30-200")

T("med_generic", ind="modern_medicine", f="biomedicine.chemical_drugs",
  acad="U2 I11", own="E22",
  area="仿制药一致性评价|口服固体制剂研究|药学研究与质量控制",
  nt="仿制药质量和疗效一致性评价|口服固体制剂溶出曲线一致性研究|老品种仿制药工艺再验证",
  nc="公司有{#5-12}个口服固体制剂品种需要在集采前完成一致性评价。|"
     "部分品种溶出曲线与参比制剂差异明显，处方工艺需要调整。|"
     "缺乏BE试验前的预实验设计经验。",
  na="希望委托开展处方工艺再研究、溶出曲线比对和稳定性研究。|"
     "需要协助设计生物等效性试验方案并联系临床机构。|"
     "按品种分阶段付款。",
  nk="一致性评价|仿制药|溶出曲线|生物等效性|口服固体制剂|集采",
  comp="制剂处方工艺|溶出度研究|生物等效性试验设计|药品注册",
  ct="口服固体制剂多介质溶出曲线相似性研究|难溶性药物增溶制剂技术|仿制药处方逆向解析与工艺开发|药物有关物质分析方法开发与验证",
  cs="可在{4/5}种介质中开展溶出曲线比较，f2因子计算符合技术指导原则。|"
     "采用固体分散体和纳米晶技术提升难溶性药物溶出度。|"
     "已协助完成{#10-25}个品种的一致性评价资料。|"
     "具备GMP中试车间。",
  ck="溶出曲线|f2因子|BE试验|固体分散体|有关物质|参比制剂|处方工艺|稳定性研究",
  pat="一种难溶性药物固体分散体及其制备方法",
  ins="全自动溶出度仪@Dissolution-708|高效液相色谱仪@HPLC-1290",
  modes="cd ts tc", trl="7-9", budget="100-800")

# --- electronic information ------------------------------------------------
T("iiot", ind="electronic_information",
  f="electronic_information.computer_network electronic_information.software advanced_manufacturing.industrial_automation",
  acad="I6 U5 U3", ent="E23", own="E26 E27 E33 E35 E07 E29 E34",
  area="工业互联网平台|设备数据采集与边缘计算|数字化车间",
  nt="工业互联网平台改造|车间设备联网与数据采集|生产管理系统数字化升级",
  nc="工厂现有{#8-30}0台设备品牌型号繁杂，大部分没有联网，生产数据靠人工抄录。|"
     "订单交期和在制品状态不透明，排产主要凭经验。|"
     "管理层希望看到实时的设备稼动率和能耗数据。",
  na="希望建设工业互联网平台，实现设备联网、数据采集和可视化。|"
     "需要打通ERP与MES，建立从订单到出货的数字化流程。|"
     "优先采用国产化软硬件，分期实施。",
  nk="工业互联网|设备联网|数据采集|MES|数字化|稼动率|智能制造",
  comp="工业协议解析|边缘计算|MES实施|数据可视化",
  ct="多协议工业设备数据采集边缘网关|轻量化MES与数字孪生车间系统|基于OPC UA的异构设备互联互通|中小企业工业互联网平台低成本部署方案",
  cs="边缘网关支持{#6-12}0余种工业协议，可即插即用采集PLC和数控系统数据。|"
     "数字孪生看板实时呈现设备状态、工单进度和能耗。|"
     "已为家电、家具、鞋服等行业{#2-6}0余家企业实施数字化改造。|"
     "提供SaaS化部署，降低中小企业一次性投入。",
  ck="边缘网关|OPC UA|PLC|数字孪生|MES|SaaS|设备互联|可视化看板",
  pat="一种多协议自适应的工业数据采集边缘网关|一种基于数字孪生的车间生产状态监控方法",
  ins="工业互联网测试床@IIoT-TB1|5G工业模组测试系统@5G-MTS",
  modes="cd ts tc", trl="7-9", budget="50-500",
  en="Industrial internet retrofit of a factory|"
     "Over 150 machines of mixed brands are not networked and production data are recorded by hand. We need device connectivity, data acquisition, dashboards and ERP-MES integration.|"
     "Edge gateways and lightweight MES for SMEs|"
     "Multi-protocol edge gateways, OPC UA integration and digital-twin dashboards, delivered as SaaS for small manufacturers.")

T("iot_water", ind="shrimp electronic_information",
  f="electronic_information.computer_network advanced_manufacturing.robotics",
  acad="U3", ent="E24 E59", own="E38 E41",
  area="水产养殖物联网|水质在线监测传感|智慧渔业",
  nt="养殖塘水质在线监测与智能增氧|智慧渔业物联网系统建设|高位池溶氧与氨氮实时监控",
  nc="公司管理{#2-8}00亩对虾高位池，夜间缺氧导致的偷死时有发生。|"
     "现有溶氧仪需要频繁校准，探头被生物附着后数据失真。|"
     "养殖员靠经验开关增氧机，电费居高不下。",
  na="希望部署溶氧、pH、氨氮、温度等多参数在线监测，并与增氧机联动。|"
     "需要低功耗、耐海水腐蚀的传感器和稳定的无线组网方案。|"
     "手机端能实时报警，数据可追溯。",
  nk="水质监测|物联网|溶氧|增氧机|高位池|氨氮|智慧渔业",
  comp="水质传感器|无线组网|智能控制算法|数据平台",
  ct="荧光法溶解氧传感器及防生物附着技术|水产养殖LoRa低功耗无线监测网络|基于溶氧预测的增氧机智能控制系统|养殖水质多参数浮标监测站",
  cs="荧光法溶氧传感器无需频繁校准，配合自清洁刷可长期稳定工作。|"
     "LoRa组网单网关覆盖半径达{#2-5}公里，节点电池寿命一年以上。|"
     "溶氧预测模型可提前{#1-3}小时预判缺氧风险，自动启停增氧机，节电{#20-35}%。|"
     "已在湛江、茂名多个养殖基地应用。",
  ck="荧光溶氧|LoRa|浮标站|增氧控制|防生物附着|多参数传感器|预测模型|节电",
  pat="一种带自清洁功能的荧光法溶解氧传感器|一种基于溶氧预测的增氧机控制方法",
  ins="多参数水质分析仪@WQ-Pro8|LoRa网络测试仪@LoRa-T50",
  modes="cd ts jd", trl="6-9", budget="20-200")

T("fruit_sorting", ind="tropical_fruit dragon_fruit electronic_information",
  f="electronic_information.software advanced_manufacturing.modern_agriculture_equipment",
  acad="U3 I2", ent="E25", own="E47 E46 E51 E50",
  area="果品无损检测分选|机器视觉与近红外品质检测|农产品智能分级",
  nt="热带水果智能分选线建设|火龙果外观与糖度无损分级|芒果内部品质在线检测分选",
  nc="公司收购的芒果、火龙果等热带水果主要靠人工分拣，分级标准不统一，损耗率高。|"
     "电商和商超客户要求按糖度和规格精细分级。|"
     "旺季日处理量需达到{#50-200}吨。",
  na="希望建设基于机器视觉和近红外光谱的在线分选线，同时判断外观、大小和糖度。|"
     "设备要适配多品种水果，换型方便。|"
     "需要配套分级标准和数据管理系统。",
  nk="分选|分级|热带水果|火龙果|糖度|无损检测|损耗",
  comp="机器视觉|近红外光谱建模|分选机械设计|品质分级标准",
  ct="水果内部品质近红外无损检测模型|多通道机器视觉果品外观分级系统|柔性托杯式果蔬高速分选装备|热带水果品质分级标准研究",
  cs="建立了芒果、火龙果可溶性固形物近红外预测模型，预测误差小于{0.5/0.6}°Brix。|"
     "视觉系统可识别果皮斑点、擦伤和形状缺陷。|"
     "托杯式分选线处理能力每小时{#5-12}吨，果实碰伤率低。|"
     "参与制定了地方热带水果分级标准。",
  ck="近红外光谱|可溶性固形物|机器视觉|托杯分选|无损检测|外观缺陷|品质分级|分级标准",
  pat="一种水果内部品质近红外在线检测装置|一种托杯式果蔬柔性分选输送机构",
  ins="便携式近红外光谱仪@NIR-Q200|高光谱成像系统@HSI-VNIR",
  modes="cd tt ts", trl="6-9", budget="100-600")

# --- home appliances -------------------------------------------------------
T("ha_motor", ind="home_appliances", f="advanced_manufacturing.electric_power new_energy.efficiency",
  acad="U5 U3", own="E27 E26",
  area="永磁无刷电机驱动|小家电电机能效|电机控制算法",
  nt="电风扇直流无刷电机与驱动方案开发|小家电电机能效提升与降噪|落地扇BLDC电机替代交流电机",
  nc="公司年产电风扇约{#2-6}00万台，目前仍以交流罩极和电容电机为主，能效等级偏低。|"
     "新版能效标准实施后，部分型号面临淘汰。|"
     "出口客户要求更低噪音和更多档位调速。",
  na="希望开发低成本BLDC电机及无感FOC驱动方案，整机能效达到一级。|"
     "需要优化电机电磁设计和结构降噪，控制成本增幅在{#10-20}元以内。|"
     "合作方需协助完成样机测试。",
  nk="电风扇|无刷电机|能效|降噪|驱动方案|BLDC|小家电",
  comp="电机电磁设计|FOC控制算法|NVH降噪|能效测试",
  ct="永磁同步电机无位置传感器矢量控制|小功率外转子永磁电机电磁优化设计|家电电机振动噪声分析与抑制|低成本单芯片电机驱动方案",
  cs="无感FOC算法在低速下也能平稳启动，适配风扇、吸尘器等负载。|"
     "通过齿槽转矩优化，电机噪声下降{#3-6}分贝。|"
     "单芯片驱动方案BOM成本低，已在多款小家电量产。|"
     "具备电机性能和能效测试平台。",
  ck="永磁同步电机|无感FOC|齿槽转矩|外转子|电机驱动|振动噪声|能效测试|单芯片",
  pat="一种永磁同步电机无位置传感器低速启动方法|一种低齿槽转矩外转子永磁电机",
  ins="电机测功机系统@DynoTest-5K|半消声室@ANC-Room1",
  modes="jd cd tl", trl="6-8", budget="50-300")

T("ha_smart", ind="home_appliances electronic_information",
  f="electronic_information.communications electronic_information.software",
  acad="I6 U6 U3", own="E28 E26",
  area="智能家电互联|端侧语音交互|低功耗无线通信",
  nt="电饭煲接入智能家居平台|小家电离线语音控制功能开发|智能厨电多平台互联互通",
  nc="公司产品以电饭煲、电压力锅为主，线上渠道客户对智能化功能呼声很高。|"
     "现有方案依赖第三方云平台，接入费用高且响应慢。|"
     "海外市场需要支持Matter等通用协议。",
  na="希望开发低成本Wi-Fi/BLE通信模组和本地离线语音识别功能。|"
     "需要支持多个智能家居平台接入，并提供菜谱云服务。|"
     "整机成本增加需控制在{#15-30}元以内。",
  nk="智能家电|电饭煲|智能家居|语音控制|联网|Wi-Fi|Matter",
  comp="嵌入式软件|无线通信模组|语音识别|云平台开发",
  ct="面向家电的端侧离线语音识别方案|低功耗Wi-Fi/BLE双模通信模组|基于Matter协议的多平台互联网关|家电云平台与智能菜谱服务",
  cs="离线语音方案支持{#5-20}0条命令词，噪声环境下识别率超过{#90-96}%。|"
     "双模模组待机功耗低于{#1-3}毫瓦。|"
     "支持Matter与国内主流智能家居平台同时接入。|"
     "提供OTA升级和设备管理云服务。",
  ck="端侧语音|离线识别|BLE|Matter|嵌入式|OTA|设备云|命令词",
  pat="一种面向小家电的低功耗离线语音唤醒方法|一种多协议智能家居互联网关",
  ins="射频综合测试仪@RF-CMW270|消声语音测试箱@VoiceBox-3",
  modes="cd jd tl", trl="6-9", budget="50-300",
  en="Smart connectivity for rice cookers|"
     "Online customers ask for smart features and export markets need Matter support. We need low-cost Wi-Fi/BLE modules, offline voice control and a recipe cloud, adding at most 25 RMB per unit.|"
     "Offline voice and Matter connectivity for appliances|"
     "On-device keyword recognition and dual-mode Wi-Fi/BLE modules with Matter support and an OTA device cloud for small appliances.")

T("ha_coating", ind="home_appliances new_materials", f="new_materials.inorganic_nonmetal new_materials.fine_chemicals",
  acad="U4 U8", own="E26 E28",
  area="无氟不粘涂层|陶瓷涂层材料|炊具表面工程",
  nt="电饭煲内胆无氟不粘涂层替代|炊具涂层耐磨性能提升|内胆陶瓷涂层开裂问题攻关",
  nc="公司电饭煲内胆目前采用PTFE涂层，欧美客户对PFAS限制日趋严格。|"
     "陶瓷涂层样品不粘性衰减快，使用半年后易粘锅。|"
     "涂层在高温和钢丝球刷洗下容易划伤剥落。",
  na="希望开发无氟且耐磨的不粘涂层，耐磨次数达到{#5-20}000次以上。|"
     "需要涂层附着力、食品接触安全和耐腐蚀性能评价支持。|"
     "可提供喷涂产线和试验样件。",
  nk="电饭煲内胆|不粘涂层|无氟|PFAS|耐磨|陶瓷涂层|炊具",
  comp="涂层材料配方|喷涂与烧结工艺|表面性能测试|食品接触安全",
  ct="溶胶-凝胶法有机硅陶瓷不粘涂层|耐磨增强型无氟疏油表面|金属基体等离子喷涂耐磨底层|炊具涂层磨耗与不粘性评价方法",
  cs="溶胶-凝胶陶瓷涂层硬度高，不含全氟化合物。|"
     "通过微纳结构与低表面能组分协同，提升疏油不粘耐久性。|"
     "等离子喷涂底层显著增强涂层附着力。|"
     "建立了模拟烹饪工况的磨耗与不粘性测试方法。",
  ck="溶胶-凝胶|有机硅|陶瓷涂层|疏油表面|等离子喷涂|附着力|磨耗测试|无全氟",
  pat="一种无氟耐磨陶瓷不粘涂层及其制备方法|一种炊具涂层不粘耐久性测试装置",
  ins="往复式摩擦磨损试验机@TribTest-R|接触角测量仪@OCA-25",
  modes="jd cd tl", trl="5-8", budget="50-300")

# --- down ------------------------------------------------------------------
T("down_washing", ind="down", f="environment.water environment.clean_production",
  acad="U8 U7", own="E29 E30",
  area="羽绒加工清洁生产|羽毛洗涤废水处理|低温节水洗涤工艺",
  nt="羽绒水洗环节节水与废水达标处理|羽绒洗涤清洁生产改造|羽绒加工废水回用技术",
  nc="公司羽绒水洗车间日用水量约{#3-8}00吨，废水中油脂和蛋白质含量高。|"
     "园区污水处理厂对进水COD和氨氮提出了更严的限值。|"
     "现有洗涤剂用量大，烘干能耗高。",
  na="希望采用低温节水洗涤工艺，吨绒用水降低{#30-50}%。|"
     "需要废水预处理和回用方案，实现稳定达标。|"
     "可配合开展车间试验。",
  nk="羽绒|水洗|废水|节水|清洁生产|COD|达标排放",
  comp="洗涤工艺优化|高浓度有机废水处理|中水回用|能耗分析",
  ct="羽毛羽绒低温生物酶洗涤工艺|高油脂蛋白废水气浮-厌氧处理技术|纺织类废水膜法中水回用|羽绒洗涤烘干余热回收系统",
  cs="生物酶洗涤在{#35-45}℃即可有效去除油脂，减少洗涤剂用量。|"
     "气浮与厌氧组合工艺对高蛋白废水COD去除率超过{#85-95}%。|"
     "膜法回用水可满足漂洗工序水质要求。|"
     "已在华东多家羽绒企业应用。",
  ck="生物酶洗涤|低温洗涤|气浮|厌氧处理|中水回用|余热回收|蛋白废水|油脂去除",
  pat="一种羽毛羽绒低温生物酶洗涤方法|一种高蛋白洗涤废水预处理装置",
  ins="化学需氧量快速测定仪@COD-5B|实验室小型洗涤烘干机@WD-Lab10",
  modes="ts cd tt", trl="6-8", budget="50-300")

T("down_quality", ind="down", f="high_tech_services.testing",
  acad="U8 U2", own="E30 E31 E29",
  area="羽绒品质评价|纺织品微生物与气味分析|羽绒标准与试验方法",
  nt="羽绒含绒量与蓬松度快速测定|羽绒制品异味与微生物指标控制|企业羽绒品质实验室建设",
  nc="公司出口羽绒需要满足IDFB和国标的含绒量、蓬松度要求，人工分检效率低、误差大。|"
     "部分批次羽绒服被消费者投诉有异味。|"
     "送外地实验室周期长，影响订单交付。",
  na="希望开发含绒量快速测定方法，替代部分人工分检。|"
     "需要查明异味来源并建立微生物与气味控制工艺。|"
     "计划自建企业实验室，需要方法和设备选型指导。",
  nk="羽绒|含绒量|蓬松度|异味|微生物|实验室建设|出口",
  comp="纺织品试验方法|微生物分析|气味分析|实验室管理",
  ct="基于图像分析的羽绒含绒量快速测定方法|羽绒异味物质气相色谱-嗅闻分析|纺织纤维制品微生物限度检验|纺织企业实验室建设与能力验证",
  cs="图像识别方法可在{#10-20}分钟内给出含绒量估计，与人工分检偏差小。|"
     "通过GC-O分析确定了导致异味的主要醛类和含硫化合物。|"
     "建立了羽绒制品细菌总数、霉菌等指标的检验方法。|"
     "协助多家纺织企业建立内部实验室并通过能力验证。",
  ck="含绒量|图像分析|蓬松度|GC-O|异味物质|微生物限度|能力验证|IDFB",
  pat="一种基于图像分析的羽绒含绒量快速测定方法",
  ins="羽绒蓬松度测试仪@FP-IDFB|气相色谱-嗅闻仪@GC-O 2030",
  modes="ts tc jp", trl="6-9", budget="20-150")

T("feather_keratin", ind="down new_materials", f="new_materials.biomedical_materials biomedicine.light_industry_biotech",
  acad="U8 U4 U6", own="E29 E30",
  area="羽毛角蛋白提取|角蛋白生物材料|羽绒副产物高值化",
  nt="废羽毛及羽梗高值化利用|羽毛角蛋白提取与产品开发|羽绒加工下脚料资源化",
  nc="公司每年分拣出羽梗、粗毛等下脚料约{#5-20}00吨，目前低价卖作饲料原料甚至填埋。|"
     "下脚料含角蛋白超过{#85-90}%，利用价值没有发挥出来。|"
     "环保部门要求减少固体废物堆放。",
  na="希望开发角蛋白提取工艺，产出可用于化妆品、肥料或生物材料的高值产品。|"
     "需要分析不同产品路线的市场和经济性。|"
     "欢迎技术合作或合资建厂。",
  nk="羽毛|角蛋白|下脚料|高值化|资源化|羽梗",
  comp="蛋白提取工艺|生物材料制备|产品应用开发|经济性分析",
  ct="绿色溶剂溶解羽毛角蛋白技术|角蛋白基生物医用支架材料|羽毛角蛋白酶解制备多肽|角蛋白纤维再生与膜材料",
  cs="采用低共熔溶剂在温和条件下溶解角蛋白，提取率超过{#70-85}%。|"
     "制备的角蛋白海绵和膜材料具有良好的细胞相容性。|"
     "角蛋白酶解多肽可用于化妆品保湿原料和水溶肥。|"
     "已完成百公斤级放大试验。",
  ck="低共熔溶剂|角蛋白|酶解多肽|生物支架|再生纤维|化妆品原料|放大试验|蛋白提取",
  pat="一种低共熔溶剂溶解羽毛角蛋白的方法|一种角蛋白基多孔支架及其制备方法",
  ins="冷冻干燥机@FD-Lab18|氨基酸分析仪@AAA-L8900",
  modes="tt jd tc", trl="4-7", budget="80-500",
  en="Value-added use of waste feathers|"
     "We separate about 1,000 t of quills and coarse feathers per year and sell them cheaply. We want a keratin extraction process and products for cosmetics, fertiliser or biomaterials.|"
     "Keratin recovery and keratin-based biomaterials|"
     "Deep-eutectic-solvent dissolution of feather keratin, enzymatic peptides, and keratin scaffolds and films scaled to 100 kg batches.")

# --- furniture -------------------------------------------------------------
T("fur_wood", ind="furniture", f="new_materials advanced_manufacturing.advanced_manufacturing_process",
  acad="U8 I4", own="E32",
  area="木材干燥与改性|实木家具尺寸稳定|木材热处理",
  nt="红木家具开裂变形问题攻关|实木家具木材干燥工艺改进|红木材料热改性尺寸稳定化",
  nc="公司红木家具销往北方后，冬季供暖季开裂、变形的售后投诉占比达到{#5-12}%。|"
     "现有干燥窑温湿度控制粗放，含水率不均匀。|"
     "名贵木材干燥周期长，资金占用大。",
  na="希望优化干燥工艺，使木材含水率与使用地平衡含水率匹配。|"
     "探索热处理或浸渍改性提高尺寸稳定性，同时不损伤木材纹理色泽。|"
     "需要建立进厂木材和成品含水率控制规范。",
  nk="红木家具|开裂|变形|木材干燥|含水率|尺寸稳定|售后",
  comp="木材干燥工艺|木材改性|含水率控制|家具结构设计",
  ct="硬阔叶材分段干燥基准优化|木材高温热处理尺寸稳定化技术|木材树脂浸渍改性|家具用材平衡含水率区域图谱",
  cs="针对密度大、易开裂的硬阔叶材制定了分段干燥基准，干燥降等率显著下降。|"
     "热处理使木材湿胀率降低{#30-50}%。|"
     "低分子树脂浸渍改性提高了硬度和尺寸稳定性。|"
     "编制了全国主要城市家具用材平衡含水率参考图谱。",
  ck="干燥基准|硬阔叶材|热处理|湿胀|树脂浸渍|平衡含水率|干燥窑|降等",
  pat="一种硬阔叶材分段干燥方法|一种木材低分子树脂浸渍改性方法",
  ins="木材含水率分布扫描仪@MC-Scan|恒温恒湿试验箱@THC-1000",
  modes="ts cd tt", trl="6-8", budget="30-200")

T("fur_custom", ind="furniture electronic_information",
  f="electronic_information.software advanced_manufacturing.industrial_automation",
  acad="U5 I6", own="E33 E34",
  area="定制家具数字化设计制造|板式家具柔性生产|拆单排产软件",
  nt="定制家具拆单排产数字化|板式定制家具柔性生产线改造|全屋定制设计到生产一体化",
  nc="公司定制衣柜和橱柜订单{#3-10}00单/月，设计师出图后人工拆单，出错率约{#2-5}%。|"
     "板材利用率只有{#75-82}%，余料浪费严重。|"
     "订单交期普遍在{#25-40}天，客户投诉多。",
  na="希望实现设计、拆单、优化排料和数控加工一体化，减少人工环节。|"
     "需要与现有开料机、封边机、排钻设备对接。|"
     "目标交期缩短到{#10-15}天。",
  nk="定制家具|拆单|排产|板材利用率|柔性生产|数控|交期",
  comp="家具CAD/CAM|排料优化算法|生产排程|设备集成",
  ct="板式家具参数化设计与自动拆单系统|矩形件排样优化算法|多品种小批量柔性排产调度|板式家具数控设备联网与条码追溯",
  cs="参数化设计库可自动生成板件清单和加工代码，拆单准确率接近100%。|"
     "排样算法使板材利用率提高{#4-8}个百分点。|"
     "排产调度系统支持插单和分批合并。|"
     "已在广东多家定制家居企业应用。",
  ck="参数化设计|自动拆单|排样优化|柔性排产|CAD/CAM|条码追溯|数控开料|多品种小批量",
  pat="一种板式家具自动拆单方法|一种矩形板材排样优化方法",
  ins="五轴加工中心@CNC-5X600",
  modes="cd ts tl", trl="7-9", budget="50-300")

T("fur_voc", ind="furniture", f="environment.air new_materials.fine_chemicals",
  acad="U4 L3", own="E34 E32 E33",
  area="涂装VOCs治理|水性涂料与UV固化|有机废气处理",
  nt="家具涂装车间VOCs治理|家具油性漆改水性漆工艺|喷涂废气收集与处理升级",
  nc="公司涂装车间使用溶剂型PU漆，VOCs排放浓度接近限值，周边居民投诉。|"
     "现有活性炭吸附装置更换频繁，运行成本高。|"
     "水性漆试用后出现干燥慢、丰满度差等问题。",
  na="希望获得源头替代加末端治理的整体方案。|"
     "需要水性漆或UV漆适配工艺，保证漆面效果。|"
     "末端治理倾向采用沸石转轮加RTO等高效工艺。",
  nk="VOCs|涂装|水性漆|废气|家具|活性炭|环保",
  comp="水性涂料配方|涂装工艺|废气治理工程|排放监测",
  ct="木器用水性双组分聚氨酯涂料|UV-LED固化家具涂装工艺|沸石转轮浓缩-蓄热燃烧VOCs治理技术|涂装废气排放在线监测",
  cs="水性双组分涂料硬度和耐化学性接近溶剂型产品。|"
     "UV-LED固化速度快、能耗低，适合平板件流水线。|"
     "转轮浓缩加RTO对VOCs去除效率超过{#95-98}%。|"
     "可提供废气监测与排放核算服务。",
  ck="水性双组分|UV-LED固化|沸石转轮|RTO|VOCs治理|木器涂料|源头替代|在线监测",
  pat="一种木器用水性双组分聚氨酯涂料|一种沸石转轮浓缩蓄热燃烧装置",
  ins="便携式VOCs分析仪@PID-VOC3|光固化能量计@UV-Meter2",
  modes="ts cd tt", trl="6-9", budget="50-400")

# --- footwear --------------------------------------------------------------
T("shoe_foam", ind="footwear new_materials", f="new_materials.polymer",
  acad="U4 U8", ent="E36", own="E35 E37",
  area="鞋材发泡|超临界物理发泡|生物基弹性体",
  nt="轻量高回弹运动鞋中底材料开发|EVA鞋底超临界发泡工艺|生物基鞋材替代开发",
  nc="公司主要为品牌代工运动鞋，客户要求中底更轻、回弹更高。|"
     "化学发泡EVA存在气味残留和压缩永久变形大的问题。|"
     "海外品牌要求提高生物基材料比例。",
  na="希望采用超临界氮气或二氧化碳物理发泡，回弹率达到{#60-70}%以上。|"
     "开发含生物基成分的弹性体配方。|"
     "需要配套物性和耐久性测试。",
  nk="运动鞋|中底|发泡|回弹|轻量化|EVA|生物基",
  comp="高分子发泡|弹性体配方|鞋材性能测试|模具工艺",
  ct="热塑性弹性体超临界流体发泡技术|高回弹低密度鞋材配方设计|生物基聚酯弹性体合成|鞋材压缩永久变形与耐久性评价",
  cs="超临界氮气发泡的TPEE/TPU中底密度低至{0.10/0.12}g/cm³。|"
     "配方优化后回弹率超过{#65-75}%，无化学发泡剂残留。|"
     "合成的生物基聚酯弹性体生物基含量超过{#30-50}%。|"
     "提供鞋材全套物性测试。",
  ck="超临界发泡|TPEE|TPU|物理发泡|回弹率|生物基弹性体|压缩永久变形|鞋材测试",
  pat="一种热塑性弹性体超临界氮气发泡方法|一种生物基聚酯弹性体及其制备方法",
  ins="落球回弹测试仪@Rebound-R1|无转子硫化仪@MDR-3000",
  modes="jd tl cd", trl="5-8", budget="80-400")

T("shoe_automation", ind="footwear equipment_manufacturing",
  f="advanced_manufacturing.robotics advanced_manufacturing.industrial_automation",
  acad="U5 U3", ent="E61", own="E35 E37",
  area="制鞋自动化|视觉引导缝纫|鞋类智能制造",
  nt="鞋面缝制与喷胶自动化改造|制鞋成型线机器人喷胶|鞋类生产线智能化升级",
  nc="公司鞋面缝制和帮底喷胶主要依赖人工，熟练工年流失率超过{#30-50}%。|"
     "款式更新快、批量小，刚性自动化设备难以适应。|"
     "喷胶工位胶水气味重，职业健康风险大。",
  na="希望引入视觉引导的自动缝纫和机器人喷胶系统，适应多款快速切换。|"
     "需要三维扫描自动生成喷胶轨迹。|"
     "先在一条成型线试点。",
  nk="制鞋|自动化|缝纫|喷胶|机器人|换款|用工",
  comp="机器视觉引导|机器人轨迹生成|柔性工装|制鞋工艺",
  ct="鞋面视觉定位自动缝纫系统|三维扫描的机器人喷胶轨迹自动生成|制鞋成型柔性生产线|鞋类工序数字化与用工优化",
  cs="视觉系统自动识别鞋面裁片轮廓，缝纫路径无需人工示教。|"
     "扫描后{#5-15}秒内生成喷胶轨迹，换款无需重新编程。|"
     "柔性成型线已在东莞、晋江企业应用。|"
     "可提供工序分析和产线规划服务。",
  ck="视觉定位|自动缝纫|三维扫描|喷胶轨迹|柔性产线|机器人|工序分析|快速换款",
  pat="一种基于三维扫描的鞋帮喷胶轨迹生成方法",
  ins="鞋楦三维扫描仪@Last-Scan3D|协作机器人@Cobot-UR10",
  modes="cd ts tt", trl="6-9", budget="50-300")

# --- shrimp ----------------------------------------------------------------
T("shrimp_disease", ind="shrimp", f="biomedicine.agricultural_biotech biomedicine.medical_biotech",
  acad="L1 U1 U6", own="E38 E41 E39",
  area="甲壳类病原分子诊断|对虾病原即时检测|水产动物疫病监测",
  nt="对虾养殖病害快速检测|虾塘白斑病现场快检方案|南美白对虾发病早期预警与快速诊断",
  nc="公司高位池养殖南美白对虾约{#2-9}00亩，近两年白斑综合征和肝肠胞虫反复暴发，发现时往往已大面积死亡。|"
     "送样到外地实验室要{#3-5}天才有结果，经常错过处置窗口。|"
     "养殖户在塘头缺乏简便可靠的判断手段，只能凭经验看虾体颜色和摄食情况。",
  na="希望合作开发能在塘头{#20-40}分钟内出结果的快检试剂盒或便携设备，操作简单、成本可控。|"
     "需要建立覆盖白斑、肝肠胞虫、急性肝胰腺坏死等主要虾病的检测方案，并配套发病预警规程。|"
     "可先在公司基地开展对比验证，效果达标后批量采购。",
  nk="对虾|虾病|快速检测|白斑综合征|肝肠胞虫|虾苗检测|塘头快检|发病预警",
  comp="病原分子检测|快检试剂盒开发|养殖病害防控|现场诊断设备",
  ct="凡纳滨对虾主要病原等温扩增检测技术|甲壳类病毒RPA-侧流层析即时检测|水产病原多重荧光定量PCR检测体系|对虾肠道微生态与疫病预警模型",
  cs="建立了WSSV、EHP、VpAHPND等病原的重组酶聚合酶扩增检测方法，灵敏度达{#10-50}拷贝。|"
     "检测无需精密仪器，恒温条件下{#15-25}分钟即可目视判读。|"
     "在雷州半岛多个养殖场开展现场比对，与实验室qPCR符合率超过{#92-98}%。|"
     "可为种苗场、养殖场提供病原筛查与疫病监测服务。",
  ck="凡纳滨对虾|甲壳类病原|等温扩增|RPA|侧流层析|POCT|qPCR|疫病监测",
  pat="一种检测对虾肝肠胞虫的RPA引物探针组及试剂盒|一种便携式水产病原恒温扩增检测装置",
  ins="实时荧光定量PCR仪@QPCR-96X|数字PCR系统@DPCR-2000",
  modes="ts cd jd", trl="6-8", budget="20-150",
  en="Rapid on-site detection of shrimp diseases|"
     "We farm Pacific white shrimp in high-density ponds and keep losing crops to WSSV and EHP outbreaks. We need a pond-side test that gives results within 30 minutes, plus an early-warning routine.|"
     "Isothermal point-of-care diagnostics for crustacean pathogens|"
     "RPA and lateral-flow assays for WSSV, EHP and VpAHPND in Pacific white shrimp, validated on farms in western Guangdong.")

T("shrimp_breeding", ind="shrimp", f="biomedicine.agricultural_biotech",
  acad="U1 L5", ent="E39", own="E38 E41",
  area="凡纳滨对虾遗传育种|无特定病原亲虾培育|对虾苗种繁育",
  nt="本地化对虾良种选育与虾苗提质|SPF亲虾国产化培育合作|虾苗成活率与抗逆性提升",
  nc="公司每年外购虾苗{#5-30}亿尾，本地育苗场亲虾主要依赖进口，价格高且供应受制于人。|"
     "部分批次虾苗生长慢、抗应激能力差，放苗成活率不到{#50-65}%。|"
     "缺乏系统的家系选育和性能测定体系。",
  na="希望合作开展快速生长、抗病、耐低盐的品系选育。|"
     "需要建立亲虾生物安保和SPF筛查体系。|"
     "可共建良种繁育中心，成果按约定共享。",
  nk="虾苗|亲虾|良种选育|成活率|抗逆|育苗|进口替代",
  comp="水产遗传育种|亲本培育|生物安保|苗种性能测定",
  ct="凡纳滨对虾多性状复合育种技术|无特定病原亲虾规模化培育|对虾基因组选择育种|对虾苗种抗应激性能评价",
  cs="建立了{#10-30}0个家系的育种核心群，生长速度每代提高约{#5-10}%。|"
     "采用全基因组选择技术，缩短育种周期。|"
     "配套生物安保体系，亲虾通过多种主要病原的SPF筛查。|"
     "选育品种已在广东、海南多个育苗场推广。",
  ck="凡纳滨对虾|家系选育|基因组选择|SPF亲虾|育种核心群|生物安保|抗应激|苗种",
  pat="一种凡纳滨对虾耐低盐性状的SNP标记及其应用|一种对虾亲本生物安保培育系统",
  ins="基因分型测序平台@SeqGen-2000|对虾个体荧光标记识别系统@VIE-Tag",
  modes="jd jp tl", trl="5-8", budget="100-800")

T("shrimp_tailwater", ind="shrimp", f="environment.water environment.ecology",
  acad="U1 L5", own="E41 E38",
  area="养殖尾水生态处理|藻菌共生水处理|海水养殖废水资源化",
  nt="对虾高位池养殖尾水达标处理|养殖尾水处理设施建设方案|工厂化养殖排水氮磷削减",
  nc="地方出台了海水养殖尾水排放标准，公司{#1-4}00亩高位池需要配套尾水处理设施。|"
     "尾水中总氮、总磷和悬浮物超标，土地有限无法建大面积人工湿地。|"
     "处理设施运行成本必须控制在养殖户可承受范围。",
  na="希望采用沉淀-生物处理-生态净化的组合工艺，实现尾水达标排放或循环利用。|"
     "需要工艺设计、施工指导和运行维护指导。|"
     "欢迎提供投资少、占地小的成熟模式。",
  nk="尾水处理|高位池|达标排放|氮磷|人工湿地|对虾养殖|循环水",
  comp="养殖废水处理工艺|生态工程设计|水质监测|运行维护",
  ct="海水养殖尾水“三池两坝”生态处理模式|藻菌共生系统削减养殖废水氮磷|海水人工湿地耐盐植物配置|贝藻综合养殖净化尾水技术",
  cs="组合工艺对总氮、总磷去除率分别达到{#60-75}%和{#70-85}%。|"
     "藻菌共生系统可回收氮磷并产出可利用的微藻生物质。|"
     "筛选了适合高盐环境的湿地植物组合。|"
     "已在湛江、阳江建设示范点{#5-12}处。",
  ck="三池两坝|藻菌共生|人工湿地|耐盐植物|氮磷去除|贝藻综合养殖|生态净化|尾水排放标准",
  pat="一种海水养殖尾水藻菌共生处理系统|一种适用于高盐尾水的复合人工湿地",
  ins="连续流动分析仪@CFA-AA3|调制叶绿素荧光仪@PAM-2500",
  modes="ts cd tc", trl="6-9", budget="30-300")

# --- oyster ----------------------------------------------------------------
T("oyster_purif", ind="oyster prepared_dishes", f="biomedicine.agricultural_biotech high_tech_services.testing",
  acad="U1 U2 I5", own="E43 E42",
  area="贝类净化与质量安全|诺如病毒分子检测|贝类暂养工艺",
  nt="生蚝暂养净化与诺如病毒风险控制|即食生蚝食品安全保障体系|牡蛎净化车间工艺设计",
  nc="公司生蚝主要供应餐饮和电商，夏季偶有消费者食用后出现胃肠不适的投诉。|"
     "现有暂养池只做简单清洗，缺乏净化效果验证。|"
     "进入商超渠道需要提供微生物和病毒指标报告。",
  na="希望建设紫外或臭氧循环水净化系统，并验证对大肠菌群和诺如病毒的去除效果。|"
     "需要诺如病毒快速筛查方法和日常质量控制规程。|"
     "希望建立HACCP体系。",
  nk="生蚝|净化|诺如病毒|食品安全|暂养|微生物|HACCP",
  comp="贝类净化工艺|病毒分子检测|食品微生物控制|质量管理体系",
  ct="牡蛎循环水紫外净化工艺与效果评价|贝类诺如病毒RT-qPCR快速检测|双壳贝类暂养生理与品质保持|水产品HACCP体系构建",
  cs="优化了净化水温、盐度和时长，大肠杆菌去除率超过{#95-99}%。|"
     "诺如病毒检测从采样到出结果{#3-5}小时。|"
     "暂养期间维持贝类活力和肥满度。|"
     "可为企业编制HACCP计划并开展人员带教。",
  ck="贝类净化|紫外消毒|RT-qPCR|诺如病毒|双壳贝类|肥满度|HACCP|大肠杆菌",
  pat="一种牡蛎循环水净化装置|一种检测贝类中诺如病毒的引物探针组",
  ins="实时荧光定量PCR仪@QPCR-CFX96|紫外剂量测量仪@UVD-254",
  modes="ts tc cd", trl="6-9", budget="30-200")

T("oyster_shell", ind="oyster new_materials", f="environment.solid_waste new_materials.inorganic_nonmetal",
  acad="U4 U1", own="E42 E43",
  area="贝壳资源化|生物钙材料|蚝壳基土壤调理剂",
  nt="蚝壳废弃物资源化利用|蚝壳制备高值钙材料|蚝壳堆积污染治理与产品开发",
  nc="生蚝加工后每年产生蚝壳{#5-20}万吨，露天堆放发臭，影响村容和水体。|"
     "现有利用方式主要是低价卖作饲料钙，附加值低。|"
     "镇里希望引进能形成产业链的利用项目。",
  na="希望开发蚝壳煅烧制备活性钙、土壤调理剂或功能填料等产品。|"
     "需要解决清洗、除臭和低能耗煅烧问题。|"
     "可提供原料和场地，合作建设加工厂。",
  nk="蚝壳|贝壳|资源化|钙|堆放|固废|土壤调理剂",
  comp="固废预处理|煅烧工艺|钙基材料应用|产品市场分析",
  ct="贝壳低温煅烧制备活性氧化钙|牡蛎壳粉酸性土壤调理剂|生物碳酸钙功能填料表面改性|贝壳多孔材料吸附除磷",
  cs="贝壳经清洗、低温煅烧得到高活性氧化钙，能耗比石灰石路线更低。|"
     "壳粉调理剂可提高酸性红壤pH并补充钙镁。|"
     "表面改性后的生物碳酸钙可作为塑料和涂料填料。|"
     "开发的贝壳基吸附材料对磷有良好吸附性能。",
  ck="牡蛎壳|活性氧化钙|生物碳酸钙|土壤调理|表面改性|功能填料|低温煅烧|吸附除磷",
  pat="一种牡蛎壳粉酸性土壤调理剂的制备方法|一种贝壳基生物碳酸钙表面改性方法",
  ins="程序升温煅烧炉@MF-1700|激光粒度分析仪@LPSA-3000",
  modes="tt jd cd", trl="5-8", budget="50-500")

T("oyster_triploid", ind="oyster", f="biomedicine.agricultural_biotech",
  acad="U1 L5", own="E42",
  area="三倍体牡蛎育苗|贝类多倍体育种|牡蛎苗种繁育",
  nt="三倍体生蚝苗种规模化供应|生蚝良种引进与本地化繁育|夏季生蚝肉质消瘦问题与新苗种",
  nc="本地生蚝夏季产卵后肉质消瘦，售价下跌{#30-50}%。|"
     "三倍体苗种主要从外省购买，运输损耗大、供应不稳定。|"
     "养殖户对新品种的生长表现心里没底。",
  na="希望合作建立三倍体牡蛎苗种繁育基地，年供苗{#1-5}亿粒。|"
     "需要倍性鉴定和苗种质量评价方法。|"
     "开展本地多点养殖比较试验。",
  nk="生蚝|三倍体|苗种|育苗|肉质|良种",
  comp="贝类多倍体诱导|苗种繁育|倍性鉴定|养殖试验",
  ct="四倍体与二倍体杂交制备全三倍体牡蛎|牡蛎人工育苗与附着基技术|贝类倍性流式细胞分析|香港牡蛎快速生长选育",
  cs="利用四倍体与二倍体杂交获得全三倍体苗种，避免化学诱导。|"
     "三倍体牡蛎夏季不产卵，肉质饱满。|"
     "流式细胞仪可快速测定倍性，准确率高。|"
     "在南海沿岸多个海区开展了对比养殖试验。",
  ck="三倍体|四倍体|多倍体育种|人工育苗|倍性分析|香港牡蛎|附着基|流式细胞",
  pat="一种全三倍体香港牡蛎苗种的制备方法",
  ins="倍性分析流式细胞仪@FCM-Ploidy",
  modes="jd tt jp", trl="5-8", budget="50-400")

# --- golden pompano --------------------------------------------------------
T("pompano_feed", ind="golden_pompano", f="biomedicine.agricultural_biotech",
  acad="U1 L5", ent="E40", own="E44",
  area="海水鱼营养与饲料|低鱼粉配合饲料|卵形鲳鲹营养需求",
  nt="金鲳鱼低鱼粉高效配合饲料开发|金鲳鱼饲料成本与饵料系数优化|深海网箱金鲳鱼专用膨化料",
  nc="鱼粉价格持续上涨，金鲳鱼饲料成本占养殖成本的{#55-70}%以上。|"
     "降低鱼粉比例后，鱼体生长慢、体色变差。|"
     "深海网箱养殖对浮性膨化料的耐水性要求更高。",
  na="希望开发鱼粉用量降至{#15-25}%以下的配方，饵料系数不高于{1.3/1.4/1.5}。|"
     "需要养殖试验验证生长、肌肉品质和肝脏健康。|"
     "成果可技术转让或联合推广。",
  nk="金鲳鱼|饲料|鱼粉替代|饵料系数|配合饲料|膨化料|养殖成本",
  comp="水产动物营养|饲料配方设计|养殖试验|饲料加工工艺",
  ct="卵形鲳鲹蛋白与脂肪需求量研究|海水鱼饲料植物蛋白与单细胞蛋白替代鱼粉|高耐水性海水鱼膨化颗粒料加工工艺|饲料添加剂改善养殖鱼肝脏健康",
  cs="明确了卵形鲳鲹不同生长阶段的蛋白和脂肪适宜需求量。|"
     "以发酵植物蛋白和微生物蛋白部分替代鱼粉，生长无显著差异。|"
     "膨化料在海水中保持{#2-4}小时不散。|"
     "功能性添加剂改善了脂肪肝问题。",
  ck="卵形鲳鲹|营养需求|鱼粉替代|单细胞蛋白|膨化颗粒料|耐水性|脂肪肝|饲料系数",
  pat="一种卵形鲳鲹低鱼粉配合饲料及其制备方法",
  ins="双螺杆膨化机@TSE-65|自动氨基酸分析仪@AAA-500",
  modes="tt jd ts", trl="6-8", budget="50-300")

T("pompano_processing", ind="golden_pompano prepared_dishes", f="biomedicine.light_industry_biotech",
  acad="I5 U1", own="E45",
  area="海水鱼精深加工|鱼肉去腥与品质保持|水产品冰温保鲜",
  nt="金鲳鱼精深加工与去腥技术|金鲳鱼调理产品开发|冰鲜金鲳鱼品质保持与货架期延长",
  nc="金鲳鱼以冰鲜整鱼和冻品出售为主，旺季集中上市时价格低迷。|"
     "鱼肉带有土腥味，做成调理产品后消费者接受度一般。|"
     "冰鲜产品{#3-5}天后就出现软化和异味。",
  na="希望开发去腥、腌制调味和冰温保鲜工艺，推出开袋即烹的调理鱼产品。|"
     "需要建立产品标准和货架期测定方法。|"
     "可提供加工车间进行中试。",
  nk="金鲳鱼|精深加工|去腥|调理产品|冰鲜|货架期|鱼片",
  comp="水产品加工工艺|风味化学|保鲜技术|产品标准制定",
  ct="鱼肉腥味物质识别与去除技术|海水鱼冰温与超冷保鲜工艺|调理鱼片腌制与质构保持|水产调理食品货架期预测模型",
  cs="利用GC-MS识别了土臭素、己醛等关键腥味物质，并开发了复合去腥工艺。|"
     "超冷保鲜使冰鲜鱼货架期延长{#3-6}天。|"
     "腌制工艺改善了鱼片持水性和口感。|"
     "建立了基于微生物生长动力学的货架期预测模型。",
  ck="腥味物质|土臭素|超冷保鲜|冰温|质构|腌制|货架期预测|调理鱼片",
  pat="一种海水鱼鱼片复合去腥方法|一种水产品超冷保鲜方法",
  ins="质构仪@TA-XTplus|电子鼻@eNose-PEN3",
  modes="jd tt cd", trl="6-8", budget="50-300")

# --- dragon fruit ----------------------------------------------------------
T("dragon_postharvest", ind="dragon_fruit", f="biomedicine.agricultural_biotech biomedicine.light_industry_biotech",
  acad="I2 I5", own="E46 E47",
  area="果蔬采后生理与保鲜|热带水果贮运保鲜|可食性涂膜保鲜",
  nt="火龙果采后保鲜与贮运损耗控制|火龙果出口冷链保鲜技术|火龙果采后腐烂与失水问题",
  nc="公司火龙果种植基地{#5-30}00亩，采后常温放置{#5-7}天即出现鳞片萎蔫、果皮褐变和腐烂。|"
     "北运和出口运输时间长，损耗率高达{#15-25}%。|"
     "现有保鲜剂存在农残顾虑。",
  na="希望获得安全的采后处理和保鲜技术，常温货架期延长{#5-10}天以上。|"
     "需要预冷、包装和冷链运输参数的整体方案。|"
     "欢迎在基地开展中试。",
  nk="火龙果|采后保鲜|腐烂|失水|冷链|损耗|出口",
  comp="果蔬采后生理|保鲜剂与涂膜|预冷与冷链|采后病害防控",
  ct="热带水果可食性涂膜保鲜技术|火龙果采后病害生物防治|果蔬预冷与低温贮运工艺优化|鳞片型果实失水与褐变控制",
  cs="壳聚糖-植物精油复合涂膜显著减少果实失重和腐烂。|"
     "筛选的拮抗酵母可抑制采后主要致病真菌。|"
     "优化了压差预冷和{#5-10}℃贮运温度。|"
     "在遂溪、海南基地开展了保鲜试验。",
  ck="采后生理|可食性涂膜|拮抗酵母|预冷|低温贮运|褐变|失重率|热带水果",
  pat="一种火龙果采后复合涂膜保鲜剂|一种热带水果压差预冷装置",
  ins="果蔬呼吸速率测定仪@Resp-F100|人工气候箱@RXZ-500",
  modes="tt jd ts", trl="6-8", budget="30-200",
  en="Post-harvest preservation of dragon fruit|"
     "Our fruit wilts, browns and rots within a week at room temperature and export losses reach 20%. We need safe post-harvest treatment, pre-cooling and cold-chain parameters.|"
     "Post-harvest technology for tropical fruit|"
     "Edible coatings, antagonistic yeasts and optimised pre-cooling and cold storage that extend the shelf life of tropical fruit.")

T("dragon_light", ind="dragon_fruit", f="biomedicine.agricultural_biotech new_energy.efficiency",
  acad="I2 I9", own="E46",
  area="补光调控花期|设施栽培光环境|产期调节",
  nt="火龙果冬季补光催花与产期调节|火龙果补光节能灯具与光配方|火龙果反季节生产技术",
  nc="火龙果冬春季自然成花少，市场价格高但产量低。|"
     "现有补光采用白炽灯或普通LED，耗电高、成花不稳定。|"
     "基地电价上涨，补光成本压力大。",
  na="希望确定适合本地品种的光质、光强和补光时长方案。|"
     "开发专用节能补光灯具并实现智能控制。|"
     "提高冬季产量{#30-60}%。",
  nk="火龙果|补光|催花|反季节|LED|产期|节能",
  comp="植物光生物学|LED灯具设计|栽培管理|智能控制",
  ct="火龙果成花光周期响应机理|植物补光LED光配方设计|设施果园补光智能控制系统|热带果树产期调控综合技术",
  cs="揭示了红光和远红光比例对火龙果成花的调控作用。|"
     "专用LED光配方在同等效果下能耗降低{#40-60}%。|"
     "控制系统按日照自动调整补光时段。|"
     "在遂溪、海南建立了反季节生产示范园。",
  ck="光周期|光配方|红光|远红光|LED补光|成花|产期调控|设施栽培",
  pat="一种火龙果夜间补光催花方法|一种植物补光LED灯具",
  ins="光谱辐射计@SpecRad-350|便携式光合作用测定系统@LI-6800X",
  modes="jd tt ts", trl="6-8", budget="30-150")

# --- pineapple -------------------------------------------------------------
T("pineapple_fiber", ind="pineapple new_materials", f="environment.solid_waste biomedicine.light_industry_biotech",
  acad="I2 U8 I9", own="E48 E49",
  area="菠萝叶纤维提取|热带作物副产物综合利用|植物纤维纺织材料",
  nt="菠萝叶废弃物资源化利用|菠萝叶纤维提取与纺织应用|菠萝采后秸秆综合利用",
  nc="菠萝收获后每亩产生叶片约{#3-6}吨，农户多就地焚烧或堆沤，造成环境问题。|"
     "公司想发展循环农业，但缺少成熟的叶片加工技术和设备。|"
     "菠萝叶纤维在纺织领域有需求，但提取效率低。",
  na="希望获得机械刮麻加生物脱胶的纤维提取技术和设备。|"
     "探索纤维在家纺、鞋材和复合材料中的应用。|"
     "配套叶渣制肥或饲料化利用方案。",
  nk="菠萝叶|纤维|秸秆|资源化|焚烧|循环农业|纺织",
  comp="植物纤维提取|生物脱胶|纤维纺织应用|农业废弃物利用",
  ct="菠萝叶纤维机械提取与生物脱胶技术|菠萝叶纤维纺纱与混纺面料开发|热带作物秸秆饲料化与肥料化|菠萝叶纤维增强复合板材",
  cs="刮麻机与复合菌剂脱胶配合，纤维得率和白度明显提高。|"
     "菠萝叶纤维与棉混纺面料透气抑菌。|"
     "叶渣经发酵可制成有机肥或青贮饲料。|"
     "纤维增强板材可用于家具和汽车内饰。",
  ck="菠萝叶纤维|生物脱胶|刮麻|混纺|秸秆综合利用|青贮|纤维增强|有机肥",
  pat="一种菠萝叶纤维生物脱胶方法|一种菠萝叶纤维刮麻机",
  ins="单纤维强力仪@FiberTest-1|纤维细度分析仪@OFDA-100",
  modes="tt jd cd", trl="5-8", budget="50-300")

T("pineapple_quality", ind="pineapple", f="biomedicine.agricultural_biotech",
  acad="I9 I2", own="E48",
  area="菠萝栽培与品质调控|菠萝生理病害防控|热带果树营养诊断",
  nt="菠萝黑心病与品质下降防控|菠萝标准化种植与品质提升|出口菠萝内部褐变问题攻关",
  nc="冬春季低温后采收的菠萝黑心（内部褐变）比例高，出口批次被拒收。|"
     "果实糖酸比波动大，口感不稳定。|"
     "长期单一施用化肥，土壤酸化严重。",
  na="希望查明黑心病发生机理并提出田间和采后综合防控措施。|"
     "需要测土配方和营养诊断服务，提升果实品质一致性。|"
     "建立标准化种植技术规程。",
  nk="菠萝|黑心病|内部褐变|品质|施肥|土壤酸化|标准化种植",
  comp="果树生理|营养诊断|采后处理|标准制定",
  ct="菠萝低温诱导内部褐变机理与防控|菠萝叶片营养诊断与精准施肥|菠萝品种改良与优质栽培|热带果园酸化土壤改良",
  cs="明确了多酚氧化酶活性与低温胁迫的关系，提出采前钙处理和采后热处理方案。|"
     "建立了菠萝叶片营养诊断指标体系。|"
     "选育和引进了多个优质菠萝品种。|"
     "开展了酸化红壤改良试验。",
  ck="内部褐变|多酚氧化酶|低温胁迫|营养诊断|精准施肥|酸化红壤|优质栽培|品种改良",
  pat="一种减轻菠萝内部褐变的采后热处理方法",
  ins="原子吸收分光光度计@AAS-240|土壤养分速测仪@SoilTest-9",
  modes="ts tc jd", trl="6-9", budget="20-150")

# --- tropical fruit --------------------------------------------------------
T("tf_drying", ind="tropical_fruit prepared_dishes", f="biomedicine.light_industry_biotech new_energy.efficiency",
  acad="I5 I9", ent="E62", own="E51 E49",
  area="果蔬干燥加工|热泵与冷冻干燥|休闲果干产品开发",
  nt="芒果干低糖化与干燥工艺升级|荔枝龙眼干燥节能改造|热带水果冻干休闲食品开发",
  nc="公司芒果干、龙眼干等产品主要采用燃煤热风干燥，能耗高、色泽不稳定。|"
     "市场对低糖、无添加的果干需求增长，现有糖渍工艺难以满足。|"
     "冻干产品设备投入大，企业心里没底。",
  na="希望采用热泵干燥或联合干燥工艺，降低能耗{#30-50}%并改善色泽。|"
     "开发低糖、非油炸的果干产品。|"
     "需要工艺验证和经济性测算。",
  nk="芒果干|龙眼|干燥|热泵|冻干|果干|低糖",
  comp="干燥工艺|食品配方开发|设备选型|经济性测算",
  ct="热带水果热泵-真空联合干燥工艺|果蔬真空冷冻干燥能耗优化|低糖果脯渗透脱水技术|龙眼荔枝干燥褐变控制",
  cs="热泵-真空联合干燥比热风干燥节能{#35-55}%，色泽和维生素保留更好。|"
     "优化冻干曲线，单批干燥时间缩短{#15-30}%。|"
     "采用低聚糖渗透替代蔗糖，产品含糖量显著下降。|"
     "可提供干燥设备选型与中试服务。",
  ck="热泵干燥|真空冷冻干燥|联合干燥|渗透脱水|褐变控制|冻干曲线|维生素保留|中试",
  pat="一种热带水果热泵-真空联合干燥方法|一种低糖芒果脯的制备方法",
  ins="中试型真空冷冻干燥机@FD-Pilot20|热泵干燥试验机@HPD-Lab",
  modes="tt ts cd", trl="6-9", budget="30-300")

T("tf_orchard", ind="tropical_fruit", f="advanced_manufacturing.modern_agriculture_equipment electronic_information.computer_network",
  acad="I2 U3 I9", own="E50 E52",
  area="智慧果园|水肥一体化|精准灌溉",
  nt="香蕉园水肥一体化与智能灌溉|荔枝园智慧管理系统建设|热带果园节水灌溉改造",
  nc="公司香蕉和荔枝园共{#10-50}00亩，仍以人工浇水、撒施化肥为主，用工多、肥料浪费大。|"
     "雷州半岛季节性干旱明显，灌溉用水紧张。|"
     "缺少土壤墒情和气象数据，管理凭经验。",
  na="希望建设水肥一体化系统和土壤墒情监测网络，节水{#30-50}%、节肥{#20-30}%。|"
     "需要按果树生育期制定水肥方案。|"
     "配套手机端管理平台。",
  nk="水肥一体化|智能灌溉|香蕉|荔枝|墒情|节水|果园",
  comp="灌溉工程设计|作物水肥管理|传感与物联网|平台软件",
  ct="热带果树水肥耦合精准调控技术|土壤墒情无线监测与灌溉决策|丘陵果园滴灌系统工程设计|果园数字化管理平台",
  cs="根据香蕉、荔枝不同生育期需水需肥规律制定水肥方案。|"
     "灌溉决策模型结合墒情和天气预报自动生成灌溉计划。|"
     "已在雷州半岛建设示范果园。|"
     "平台支持农事记录和溯源。",
  ck="水肥耦合|滴灌|墒情监测|灌溉决策|生育期|数字果园|溯源|精准施肥",
  pat="一种基于墒情和天气预报的果园灌溉决策方法",
  ins="土壤墒情监测站@SM-Station4|便携式叶绿素仪@SPAD-502X",
  modes="cd ts jd", trl="6-9", budget="50-300")

# --- southern medicine -----------------------------------------------------
T("sm_agarwood", ind="southern_medicine", f="biomedicine.chinese_medicine biomedicine.agricultural_biotech",
  acad="I3 I9", own="E53",
  area="沉香人工结香|白木香种植|沉香质量评价",
  nt="沉香人工结香技术升级|白木香种植基地结香效率提升|沉香药材质量与等级划分",
  nc="公司种植白木香{#5-30}00亩，树龄已达{#6-10}年，但传统砍伤、打钉结香周期长、含油率低。|"
     "不同批次沉香质量差异大，缺乏客观的质量指标。|"
     "现有结香方法对树体损伤大。",
  na="希望采用通体结香或生物诱导结香技术，缩短结香周期、提高含油率。|"
     "建立沉香药材醇溶性浸出物和特征成分的质量评价方法。|"
     "合作开发沉香精油、线香等深加工产品。",
  nk="沉香|结香|白木香|含油率|质量等级|南药",
  comp="结香诱导技术|中药质量分析|种植管理|产品开发",
  ct="白木香通体结香诱导剂及输液技术|沉香结香相关真菌生物诱导|沉香特征色酮类成分指纹图谱|沉香精油提取与产品开发",
  cs="通体结香技术可在{#12-24}个月内形成较多结香部位，含油率明显提高。|"
     "筛选到促进结香的内生真菌菌株。|"
     "建立了2-(2-苯乙基)色酮类成分HPLC指纹图谱。|"
     "开发了沉香精油和香品加工工艺。",
  ck="白木香|通体结香|诱导剂|内生真菌|色酮|指纹图谱|醇溶性浸出物|沉香精油",
  pat="一种白木香通体结香诱导剂及其使用方法",
  ins="高效液相色谱仪@HPLC-2030|水蒸气蒸馏提取装置@SD-20L",
  modes="tt jd ts", trl="5-8", budget="50-500")

T("sm_extract", ind="southern_medicine modern_medicine", f="biomedicine.chinese_medicine",
  acad="I3 U2 I11", own="E54 E55 E22",
  area="南药提取与质量标准|中药指纹图谱|药食同源产品开发",
  nt="高良姜提取物标准化生产|益智仁有效成分提取与质量控制|南药配方颗粒质量标准研究",
  nc="公司收购雷州高良姜、益智等南药原料，产品以初加工饮片为主，附加值低。|"
     "提取物有效成分含量批次间波动超过{#20-40}%，客户投诉多。|"
     "拟开发中药配方颗粒品种，需要完整的质量标准研究。",
  na="希望优化提取纯化工艺，使指标成分含量稳定。|"
     "建立指纹图谱和含量测定方法，满足药典要求。|"
     "开发药食同源的功能食品。",
  nk="高良姜|益智|提取物|质量标准|配方颗粒|南药|有效成分",
  comp="提取纯化工艺|中药质量分析|标准制定|功能食品开发",
  ct="高良姜黄酮类成分提取纯化工艺|南药特征图谱与多成分含量测定|中药配方颗粒标准汤剂研究|药食同源功能食品配方开发",
  cs="采用大孔树脂纯化，高良姜素含量提高到{#20-40}%以上。|"
     "建立了多指标成分同时测定的UPLC方法。|"
     "完成了多个岭南中药品种配方颗粒的标准汤剂研究。|"
     "开发了以南药为原料的保健茶饮和固体饮料。",
  ck="高良姜素|大孔树脂|特征图谱|UPLC|标准汤剂|药食同源|提取纯化|含量测定",
  pat="一种高良姜素的提取纯化方法",
  ins="超高效液相色谱仪@UPLC-H|中试多功能提取浓缩机组@TQ-500",
  modes="ts cd tt", trl="6-9", budget="30-300")

# --- prepared dishes -------------------------------------------------------
T("pd_coldchain", ind="prepared_dishes", f="biomedicine.light_industry_biotech new_energy.efficiency",
  acad="I5 U1", ent="E60 E58", own="E56 E57 E45",
  area="速冻与冷链保鲜|预制菜货架期延长|低温物流品质控制",
  nt="预制菜冷链保鲜与货架期延长|速冻预制菜冰晶损伤控制|预制菜冷链运输温度波动问题",
  nc="公司生产的冷冻预制菜发往全国，运输中温度波动导致汁水流失和口感变差。|"
     "冷藏类产品货架期只有{#3-7}天，难以进入商超渠道。|"
     "速冻隧道能耗高，冻结速度不均匀。",
  na="希望优化速冻工艺和包装，控制冰晶损伤。|"
     "研究冷藏产品货架期延长技术，目标延长到{#10-21}天。|"
     "需要冷链全程温度监控和品质追溯方案。",
  nk="预制菜|冷链|保鲜|速冻|货架期|冰晶|温度波动",
  comp="食品冷冻工艺|包装保鲜|冷链监控|货架期评价",
  ct="液氮与超低温速冻冰晶控制技术|调理食品气调包装与生物保鲜|冷链全程温度记录与品质预测|速冻隧道节能优化设计",
  cs="超低温速冻显著减小冰晶尺寸，解冻汁液流失率下降{#30-50}%。|"
     "气调包装结合天然抑菌剂使冷藏产品货架期延长一倍以上。|"
     "基于温度记录建立了货架期动态预测模型。|"
     "隧道风场优化后冻结时间缩短，能耗降低。",
  ck="超低温速冻|冰晶|汁液流失|气调包装|天然抑菌剂|温度记录|动态货架期|速冻隧道",
  pat="一种调理菜肴气调包装保鲜方法|一种速冻隧道均匀送风装置",
  ins="差示扫描量热仪@DSC-Q25|程控速冻试验箱@QF-80",
  modes="jd tt ts", trl="6-9", budget="50-400")

T("pd_flavor", ind="prepared_dishes", f="biomedicine.light_industry_biotech",
  acad="I5 U1 U2", own="E56 E57",
  area="菜肴工业化与风味保持|粤菜标准化|复热品质控制",
  nt="粤式预制菜复热风味保持|白切鸡、蒸鱼等粤菜工业化生产|预制菜口感与风味标准化",
  nc="公司主推白切鸡、清蒸鱼、沙虫粥等湛江特色预制菜，复热后口感和香气与现做差距明显。|"
     "厨师工艺难以量化，批次口味不稳定。|"
     "减盐减油要求下风味进一步下降。",
  na="希望解析关键风味物质，开发风味保持和复热工艺。|"
     "将厨师工艺转化为标准化工业参数。|"
     "开发减盐不减味的调味方案。",
  nk="预制菜|风味|复热|白切鸡|标准化|口感|减盐",
  comp="风味分析|菜肴工业化|调味品开发|感官评价",
  ct="粤菜关键风味物质解析与重构|中式菜肴工业化标准工艺转化|减盐增鲜复合调味技术|复热食品质构保持与感官评价",
  cs="采用GC-MS、电子鼻和感官评价解析白切鸡、清蒸鱼的关键香气物质。|"
     "将厨师操作拆解为温度、时间、配比等工艺参数。|"
     "利用呈味肽和香辛料实现减盐{#20-30}%口味不变。|"
     "建有中央厨房中试线。",
  ck="关键香气物质|GC-MS|电子鼻|感官评价|工艺参数化|呈味肽|减盐|中央厨房",
  pat="一种减盐复合调味料及其制备方法",
  ins="气相色谱-质谱联用仪@GCMS-QP2020|电子舌@eTongue-SA402",
  modes="jd cd tt", trl="6-9", budget="30-300")

T("pd_safety", ind="prepared_dishes", f="high_tech_services.testing biomedicine.light_industry_biotech",
  acad="U2 I5", own="E57 E56 E43",
  area="食品微生物快速检测|食品安全风险评估|HACCP体系",
  nt="预制菜微生物快速检测与过程控制|中央厨房食品安全体系建设|预制菜出厂检验能力提升",
  nc="公司中央厨房日产预制菜{#10-60}吨，出厂微生物检验采用传统培养法，需要{#2-3}天才能出结果。|"
     "产品已经发出才拿到报告，存在召回风险。|"
     "客户审核要求完善HACCP和追溯体系。",
  na="希望引入单增李斯特菌、沙门氏菌等致病菌的快速检测方法，{#4-8}小时内出结果。|"
     "协助建立HACCP体系和环境监控计划。|"
     "提升质检人员能力。",
  nk="预制菜|微生物|快速检测|致病菌|HACCP|食品安全|出厂检验",
  comp="食品微生物检测|质量管理体系|风险评估|人员能力建设",
  ct="食源性致病菌多重PCR快速检测|食品加工环境李斯特菌监控技术|预制菜食品安全风险评估模型|食品企业HACCP体系建立与辅导",
  cs="多重PCR方法可同时检测{#4-6}种常见致病菌，{#4-6}小时出结果。|"
     "建立了加工环境采样点位和监控频次方案。|"
     "基于过程数据评估各环节风险。|"
     "已为{#2-5}0余家食品企业提供体系辅导。",
  ck="食源性致病菌|多重PCR|单增李斯特菌|沙门氏菌|环境监控|风险评估|HACCP|体系辅导",
  pat="一种同时检测多种食源性致病菌的引物组及试剂盒",
  ins="全自动微生物鉴定系统@MicroID-2|实时荧光定量PCR仪@QPCR-LC480",
  modes="ts tc jp", trl="7-9", budget="20-150")

# --- cross-industry --------------------------------------------------------
T("carbon_lca", ind="green_steel high_end_paper green_petrochemical", f="environment.carbon high_tech_services.consulting",
  acad="U7 I10", ent="E64", own="E01 E07 E04 E09",
  area="产品碳足迹核算|生命周期评价|企业碳管理",
  nt="出口产品碳足迹核算|企业碳排放摸底与碳管理体系建设|产品生命周期评价与低碳路线图",
  nc="欧洲客户要求提供产品碳足迹数据，公司缺乏核算能力和基础数据。|"
     "碳市场扩围后企业将纳入配额管理，需要摸清排放家底。|"
     "现有能源计量数据分散，难以支撑核算。",
  na="希望按ISO 14067完成主要产品碳足迹核算。|"
     "建立企业碳排放监测、报告与核查体系。|"
     "制定分阶段降碳路线图。",
  nk="碳足迹|碳排放|核算|碳管理|出口|降碳路线|配额",
  comp="生命周期评价|碳排放核算|能源计量|低碳规划",
  ct="工业产品生命周期评价与碳足迹建模|重点行业碳排放核算方法与数据库|企业碳资产管理信息系统|行业低碳转型路线图研究",
  cs="建立了钢铁、造纸、石化产品的本地化生命周期清单数据库。|"
     "依据ISO 14067和PAS 2050开展碳足迹建模。|"
     "碳管理系统自动汇总能源计量数据生成排放报告。|"
     "为{#1-4}0余家企业编制了低碳发展路线图。",
  ck="生命周期评价|LCA|ISO 14067|清单数据库|碳资产|MRV|低碳路线图|排放因子",
  pat="一种基于能耗数据的工业产品碳足迹在线核算方法",
  ins="碳足迹核算软件平台@LCA-Suite 3",
  modes="tc ts", trl="7-9", budget="20-150")

# Decoys: share surface words with a topic's needs, but not its substance.
# topic, owner, kind, title, description, keywords, fields, industries
DECOYS = [
    ("steel_h2", "U4", "achievement", "氢燃料电池金属双极板低成本制备技术",
     "面向车用氢燃料电池，开发了金属双极板冲压成形与表面涂层工艺，接触电阻低、耐腐蚀，适合批量生产。",
     "氢能|燃料电池|双极板|表面涂层|低碳", "new_energy.nuclear", "green_energy"),
    ("steel_surface", "U2", "achievement", "基于深度学习的CT影像病灶智能识别",
     "基于卷积神经网络实现CT影像肺结节自动检测与分级，已在三甲医院开展临床验证，减少医生阅片时间。",
     "人工智能|图像识别|深度学习|医学影像|缺陷检出", "biomedicine.medical_devices", "modern_medicine"),
    ("petro_ccus", "I5", "achievement", "高二氧化碳气调包装果蔬保鲜技术",
     "通过调节包装内二氧化碳与氧气比例抑制呼吸作用，延长荔枝、火龙果等热带水果货架期{#7-15}天。",
     "二氧化碳|气调包装|保鲜|货架期", "biomedicine.light_industry_biotech", "tropical_fruit dragon_fruit"),
    ("petro_polyolefin", "U2", "research_direction", "医用高分子导管表面抗菌改性",
     "研究聚氨酯、硅橡胶导管表面接枝抗菌涂层，降低导管相关感染，兼顾血液相容性。",
     "医用|高分子|抗菌|导管|表面改性", "new_materials.biomedical_materials", "modern_medicine"),
    ("paper_eucalyptus", "I2", "achievement", "火龙果组培脱毒种苗繁育技术",
     "建立了红心火龙果茎段组培快繁和脱毒体系，种苗整齐度高，年可供苗{#50-200}万株。",
     "组培苗|良种|种苗繁育|火龙果", "biomedicine.agricultural_biotech", "dragon_fruit"),
    ("paper_barrier", "U4", "achievement", "锂电池隔膜陶瓷涂层技术",
     "在聚烯烃隔膜表面涂覆勃姆石陶瓷层，提升耐热收缩性能，已用于动力电池隔膜生产。",
     "涂布|涂层|隔膜|陶瓷|阻隔", "new_materials.inorganic_nonmetal", "new_materials"),
    ("wind_om", "U5", "research_direction", "数控机床主轴颤振在线抑制",
     "研究高速切削中主轴颤振机理，提出基于主动阻尼的在线抑制方法，提升加工表面质量。",
     "振动|颤振|故障|数控机床|主轴", "advanced_manufacturing.new_machinery", "equipment_manufacturing"),
    ("biomass", "U8", "achievement", "蔗渣纤维模塑环保餐具制备技术",
     "以甘蔗渣浆为原料，经湿压成型制备可降解餐具，耐油耐水性能满足外卖需求。",
     "蔗渣|纸浆模塑|可降解餐具|农林废弃物", "new_materials.paper_materials", "high_end_paper"),
    ("mat_composite", "U8", "research_direction", "碳纤维羽毛球拍框架轻量化设计",
     "针对运动器材开展碳纤维预浸料铺层与框架结构优化，在减重的同时提高抗扭刚度。",
     "碳纤维|轻量化|复合材料|运动器材", "new_materials.polymer", "new_materials"),
    ("mat_coating", "U2", "achievement", "牙科种植体表面抗菌防污涂层",
     "在钛种植体表面构建载银羟基磷灰石涂层，抑制口腔菌斑附着并促进骨整合。",
     "涂层|防污|抗菌|种植体", "new_materials.biomedical_materials", "modern_medicine"),
    ("equip_robot", "U2", "platform", "康复外骨骼机器人研发平台",
     "面向脑卒中患者下肢康复，研制可穿戴外骨骼机器人，开展步态识别与助力控制研究。",
     "机器人|康复|外骨骼|步态识别", "biomedicine.medical_devices", "modern_medicine"),
    ("med_marine_drug", "I3", "achievement", "沉香提取物抗菌卫生用品开发",
     "利用沉香叶和沉香木屑提取物的抑菌活性，开发抗菌洗手液和香薰产品，已小批量上市。",
     "抗菌|提取物|卫生用品|沉香", "biomedicine.chinese_medicine", "southern_medicine"),
    ("med_generic", "U8", "research_direction", "纺织品重金属溶出检测方法",
     "建立模拟汗液条件下纺织品重金属溶出量的测定方法，用于出口服装和家纺产品质量控制。",
     "溶出|检测方法|纺织品|重金属", "high_tech_services.testing", "down"),
    ("iiot", "L6", "research_direction", "新能源电力系统调度数据平台",
     "建设风光储多源数据汇聚与功率预测平台，支撑新能源场站参与电网调度和电力交易。",
     "数据平台|数据采集|电力调度|功率预测", "electronic_information.software", "green_energy"),
    ("iot_water", "I6", "achievement", "城市排水管网液位物联网监测系统",
     "采用NB-IoT液位计和雷达流量计监测城市排水管网运行，内涝风险可提前预警。",
     "物联网|在线监测|液位|预警", "electronic_information.computer_network", "electronic_information"),
    ("fruit_sorting", "I11", "achievement", "近红外光谱中药材真伪快速鉴别",
     "建立了多种中药材的近红外光谱判别模型，可在数秒内完成真伪与产地鉴别。",
     "近红外光谱|无损检测|快速鉴别|中药材", "biomedicine.chinese_medicine", "southern_medicine"),
    ("ha_motor", "L6", "research_direction", "风电机组永磁直驱发电机设计",
     "开展兆瓦级永磁直驱风力发电机电磁与热设计，降低齿槽转矩和温升。",
     "永磁电机|齿槽转矩|发电机|风电", "new_energy.renewable", "green_energy"),
    ("ha_smart", "U2", "research_direction", "老年人语音健康监测技术",
     "利用语音特征分析识别老年人认知功能变化，开发居家健康监测应用。",
     "语音识别|智能家居|健康监测|老年人", "biomedicine.medical_devices", "modern_medicine"),
    ("shrimp_breeding", "E40", "achievement", "对虾配合饲料鱼粉替代蛋白源技术",
     "以发酵豆粕和昆虫蛋白部分替代鱼粉，南美白对虾配合饲料中替代比例达到{#30-40}%，生长性能无显著下降。",
     "对虾饲料|南美白对虾|鱼粉替代|发酵豆粕|配合饲料", "biomedicine.agricultural_biotech", "shrimp"),
    ("shrimp_disease", "E40", "patent", "一种提高对虾免疫力的复合饲料添加剂",
     "由多糖、核苷酸和益生菌复配而成，添加于对虾饲料中可提高非特异性免疫指标，降低养殖期发病率。",
     "对虾|饲料添加剂|免疫增强|益生菌|养殖", "biomedicine.agricultural_biotech", "shrimp"),
    ("oyster_shell", "U2", "research_direction", "牡蛎肽抗疲劳功能研究",
     "以牡蛎肉为原料酶解制备低分子肽，研究其抗疲劳和护肝活性，开发功能食品。",
     "牡蛎|蚝|功能肽|抗疲劳", "biomedicine.medical_biotech", "oyster modern_medicine"),
    ("pineapple_fiber", "U4", "achievement", "玄武岩纤维增强复合筋材",
     "以玄武岩纤维和环氧树脂拉挤成型制备复合筋，耐腐蚀，可替代海工混凝土中的钢筋。",
     "纤维|复合材料|纤维增强|耐腐蚀", "new_materials.inorganic_nonmetal", "new_materials"),
    ("tf_drying", "I4", "achievement", "纸机烘缸干燥部节能优化",
     "通过汽罩热回收和烘缸冷凝水系统优化，降低纸机干燥部蒸汽消耗{#8-15}%。",
     "干燥|节能|热回收|烘缸", "new_energy.efficiency", "high_end_paper"),
    ("pd_coldchain", "I6", "achievement", "冷链物流车辆路径优化调度系统",
     "基于订单时窗与车辆载重约束求解配送路径，降低冷链配送里程和空驶率。",
     "冷链|物流|路径优化|调度", "electronic_information.software", "electronic_information"),
    ("carbon_lca", "U1", "research_direction", "贝类养殖碳汇核算方法",
     "研究牡蛎等贝类养殖过程中的固碳量与碳汇核算方法，为海洋碳汇交易提供依据。",
     "碳汇|核算|贝类养殖|海洋碳汇", "environment.carbon", "oyster"),
    ("pd_safety", "L1", "instrument", "水产病原核酸快速提取仪",
     "磁珠法核酸提取仪，适用于虾、贝组织样品的病原核酸快速提取，配合快检使用。",
     "快速检测|核酸提取|水产病原", "biomedicine.agricultural_biotech", "shrimp"),
]

# Surface decoys: share a need's subject words, but are social-science,
# education or information work, not technology for the need.
SURFACE_DECOYS = [
    ("research_direction", "{kw}领域产业政策与市场研究",
     "从产业经济角度研究{ind}产业链结构、价格波动与市场格局，分析{kw}和{kw2}相关政策的影响，为政府和行业协会提供决策参考。",
     "产业经济|市场分析|政策研究"),
    ("team", "{kw}主题职业教育课程开发团队",
     "团队面向{ind}从业人员开发{kw}、{kw2}相关的职业教育课程和教材，开展科普宣传与继续教育。",
     "职业教育|课程开发|科普"),
    ("research_direction", "{kw}产业链统计监测与经济分析",
     "建立{ind}产业统计监测指标体系，跟踪{kw}项目投资、产能与就业变化，发布年度产业发展报告。",
     "统计监测|产业报告|经济分析"),
    ("research_direction", "{kw}品牌传播与消费者行为研究",
     "研究{ind}产品的品牌塑造、电商营销与消费者认知，涉及{kw}、{kw2}等话题的传播效果评估。",
     "品牌营销|消费者行为|电商"),
    ("platform", "{kw}主题文献情报服务平台",
     "收集整理{kw}、{kw2}领域的国内外文献、标准和新闻资讯，提供文献检索与情报简报服务，不承担技术研发。",
     "文献检索|情报服务|信息资源"),
]

# Needs that combine two topics (innovation-consortium material).
COMBOS = [
    ("shrimp_disease", "iot_water", "E38", "对虾塘智能监测与病害预警一体化方案"),
    ("pompano_processing", "pd_coldchain", "E45", "金鲳鱼调理产品加工与冷链保鲜"),
    ("steel_h2", "carbon_lca", "E01", "氢冶金示范线工艺验证与碳减排核算"),
    ("dragon_postharvest", "fruit_sorting", "E47", "火龙果采后分级与保鲜一体化处理线"),
    ("pv_fishery", "shrimp_tailwater", "E13", "渔光互补基地养殖尾水协同治理"),
    ("ha_smart", "ha_coating", "E28", "智能电饭煲新品开发：联网控制与无氟内胆"),
    ("oyster_purif", "pd_safety", "E43", "即食生蚝产品净化与微生物安全控制"),
    ("sm_agarwood", "sm_extract", "E53", "沉香深加工产品开发与质量标准建立"),
    ("paper_barrier", "pd_coldchain", "E56", "预制菜纸基包装耐冷冻与保鲜性能提升"),
    ("equip_cage", "pompano_feed", "E44", "深远海网箱金鲳鱼智能投喂与低鱼粉饲料配套"),
]

# ---------------------------------------------------------------------------
# Phrase pools
# ---------------------------------------------------------------------------

NEED_OPEN = [
    "我司是{region}一家{indname}企业。", "公司位于{region}，主营{indname}相关业务。",
    "我们是扎根{region}的{indname}企业。", "本企业地处{region}，近年来产能持续扩大。",
]
NEED_CONS = [
    "期望{#6-24}个月内完成，技术成熟度达到TRL {trl}。", "优先考虑湛江本地或粤港澳大湾区、海南的团队。",
    "公司可提供试验场地、原料和配套人员。", "合作方需具备相关领域的工程化经验。",
    "项目经费可分阶段支付，按里程碑验收。", "可接受线上沟通，后期需驻场调试。",
    "预算约{budget}万元，可视方案调整。", "希望{#3-6}个月内拿出初步方案。",
]
NEED_EN_ADDON = [
    "Partners from Hong Kong and Macao are also welcome.",
    "English-speaking teams are welcome; documents can be shared in English.",
    "We can also discuss in English with overseas experts.",
]
NEED_EN_TAIL = [
    "We prefer partners in Zhanjiang, the Greater Bay Area or Hainan.",
    "Budget is negotiable and can be paid by milestones.",
    "We can provide a test site and production data.",
]
# Sentences that trigger an intermediary service (each contains a trigger term
# of services/core/taxonomy/service_categories.toml).
SERVICE_TRIGGERS = {
    "consulting": ["前期希望有专业机构帮助做技术路线咨询和可行性研究。", "立项前需要开展方案论证，请有经验的机构参与。"],
    "training": ["项目实施后需要对一线员工开展操作培训。", "希望合作方同时承担技术人员的人才培养。"],
    "resource_matching": ["也希望服务平台帮忙对接上下游合作伙伴。", "希望通过产学研合作寻找合适的团队。"],
    "innovation_events": ["愿意在创新大赛或项目路演中公开发布该需求。", "欢迎相关团队在行业论坛上与我们交流。"],
    "tech_evaluation_transaction": ["如有成熟成果可直接技术转让，需要第三方评估技术价值。", "可接受专利许可，希望有机构协助技术交易谈判。"],
    "rd_crowdsourcing": ["可采用揭榜挂帅方式征集解决方案。", "考虑以研发众包形式悬赏关键难题。"],
    "testing_inspection": ["成果需通过第三方检测认证后才能进入客户供应链。", "新产品上市前需要完成型式检验和质检报告。"],
    "policy_services": ["计划以此项目申报省级科技计划项目。", "希望一并申报研发补贴，并准备高企认定材料。"],
    "intellectual_property": ["合作中形成的专利需提前约定归属，并希望开展专利布局。", "担心现有方案存在侵权风险，需要做知识产权分析。"],
    "tech_finance": ["项目资金缺口较大，希望对接科技贷款或知识产权质押融资。", "欢迎风险投资机构关注并参与投资。"],
}
CATEGORIES = list(SERVICE_TRIGGERS)

RD_OPEN = ["本方向聚焦{area}，", "团队长期从事{area}研究，", "围绕{area}开展基础与应用研究，",
           "近年来在{area}方面持续投入，", "以{area}为主攻方向，"]
RD_CLOSE = ["欢迎企业联合申报科研项目。", "可承接委托研发和技术咨询。", "期待与产业链企业长期合作。",
            "已与多家企业建立产学研合作关系。", ""]
ACH_OPEN = ["", "", "该成果", "本技术", "项目成果："]
ACH_CLOSE = ["已完成中试，可技术转让或许可。", "已在{place}企业示范应用，可提供技术服务。",
             "成果通过省级科技成果评价，技术成熟度较高。", "可采用许可、转让或作价入股方式合作。",
             "已获授权发明专利{#2-6}件。"]
ENT_ACH_OPEN = ["公司自主研发，", "我司产品方案：", "", "依托自有生产线，"]
PAT_OPEN = ["本发明涉及{area}领域，公开了{title}。", "该专利属于{area}技术。", "专利要点：", "发明专利。"]
PAT_CLOSE = ["专利权有效，可许可或转让。", "可开放实施许可。", "已在样机上验证。", "已有企业实施应用。"]
INS_PURPOSE = ["主要用于{area}相关的分析测试", "可支撑{area}研究中的表征与试验", "服务{area}方向的科研与企业委托测试"]
INS_SHARE = ["对外开放共享，按机时收费。", "可预约共享使用，提供操作培训。", "纳入大型仪器共享平台，企业可预约送样。",
             "面向企业开放，需提前{#2-5}个工作日预约。"]
INS_NOSHARE = ["目前仅供内部科研使用。", "暂不对外开放，可合作研究时使用。"]
INS_SCOPE = ["支持{a}、{b}等方向的测试分析。", "常用于{a}和{b}相关实验。", "已积累{a}、{b}方面的测试数据。"]
TEAM_SUFFIX = ["创新团队", "研究团队", "科研团队", "青年创新团队", "技术攻关团队"]
TEAM_CLOSE = ["团队承担过国家和省级科研项目多项。", "可组建专班驻企攻关。", "团队成员具有多年企业工程经验。", ""]
PLAT_SUFFIX = ["中试平台", "工程技术研究中心", "公共技术服务平台", "联合实验室", "技术创新中心"]
PLAT_CLOSE = ["面向企业提供中试验证和技术服务。", "已获批{市级/省级}工程技术研究中心。", "可开展联合攻关和人才培养。"]
RD_SUFFIX = ["研究", "机理与应用研究", "关键技术研究"]
CAP_EN_TAG = {
    "research_direction": ["English-language collaboration welcome.", "Open to joint research proposals."],
    "achievement": ["English materials available.", "Open to licensing."],
    "patent": ["Open to licensing.", "English abstract available."],
    "instrument": ["Operator training can be given in English.", "English-language booking available."],
    "team": ["English-language collaboration welcome.", "The team works in Chinese and English."],
    "platform": ["English materials available.", "Open to visiting researchers."],
}
EN_CAP_CLOSE = ["Open to joint projects with firms in Zhanjiang.", "Licensing and contract research available.",
                "Prototype available for pilot tests.", ""]
PLACES = ["湛江", "粤西", "雷州半岛", "华南", "广东"]

ENT_DESC_EXTRA = [
    "公司成立于{#1998-2019}年，现有员工{#50-1800}人。", "年产值约{#1-40}亿元。", "建有{市级/省级}工程技术研究中心。",
    "产品销往全国{#10-30}个省份并出口东南亚。", "近年来持续加大研发投入，研发人员占比约{#5-20}%。",
    "是{湛江市/广东省}重点培育企业。",
]
ENT_EN_ADDON = ["English communication available.", "Looking for partners in the Greater Bay Area."]

OFFER_POOLS = {
    "consulting": dict(
        titles=["{ind}企业技术诊断与发展规划咨询", "科技项目可行性研究与方案论证", "企业研发管理体系建设咨询", "{ind}数字化转型诊断服务"],
        sents=["组织行业专家深入企业现场开展技术诊断，梳理瓶颈并提出改进路径。", "可编制项目可行性研究报告，协助完成技术方案论证。",
               "帮助企业建立研发项目管理、研发费用归集和成果管理制度。", "熟悉{inds}等产业链，能够提供针对性的规划建议。",
               "已服务湛江及周边企业{#5-30}0余家。"],
        kw=["咨询", "技术诊断", "可行性研究", "方案论证", "发展规划", "研发管理"],
        terms=["首次诊断免费，专项咨询按项目报价。", "可行性研究报告{#2-5}万元/份起。", "按人天计费，{#2-5}000元/人天。",
               "签约后{#10-20}个工作日交付报告。"]),
    "training": dict(
        titles=["{ind}产业技术人才研修班", "企业技术骨干技能提升培训", "科技管理与成果转化实务培训", "订单式职业技能培训"],
        sents=["围绕{inds}产业需求设计课程，邀请高校教授和企业总工授课。", "提供线上线下结合的研修课程和现场实操。",
               "课程涵盖研发管理、知识产权、质量管理和数字化技能。", "培训合格可颁发结业证书，部分课程纳入职业技能等级认定。",
               "可为企业定制人才培养方案。"],
        kw=["培训", "人才培养", "技能提升", "研修", "继续教育"],
        terms=["每期{#20-60}人，{#8-30}00元/人。", "企业定制班按场次报价。", "部分课程享受政府补贴，企业自付比例低。"]),
    "resource_matching": dict(
        titles=["产学研合作对接服务", "{ind}技术需求与高校成果精准对接", "供应链上下游合作伙伴寻找", "粤港澳大湾区创新资源对接"],
        sents=["建有覆盖{#50-200}家高校院所的专家库和成果库，帮助企业寻找合作团队。", "通过需求挖掘、专家会诊和对接会促成产学研合作。",
               "可组织企业赴大湾区、海南高校院所考察对接。", "提供上下游供应链伙伴推荐和商务洽谈支持。",
               "对接成功后跟踪合同签订与项目实施。"],
        kw=["对接", "产学研", "合作伙伴", "供应链", "技术经纪", "资源整合"],
        terms=["需求发布免费，成功对接后按合同额{#2-5}%收取服务费。", "年度会员{#1-3}万元。", "政府购买服务项目，企业免费。"]),
    "innovation_events": dict(
        titles=["{ind}创新创业大赛", "科技成果路演与项目发布会", "产业技术沙龙与创新论坛", "企业需求揭榜发布会"],
        sents=["定期举办项目路演和成果发布会，邀请投资机构和产业链企业参加。", "承办{ind}领域创新大赛，获奖项目可获得配套支持。",
               "组织行业技术沙龙，促进企业与专家面对面交流。", "可协助企业策划展会参展和新品发布。", "每年举办活动{#10-40}场。"],
        kw=["路演", "创新大赛", "展会", "沙龙", "论坛", "项目发布"],
        terms=["参赛免费。", "专场路演{#1-3}万元/场。", "会员单位优先参与，场地费减半。"]),
    "tech_evaluation_transaction": dict(
        titles=["科技成果价值评估", "技术转让与许可交易服务", "科技成果作价入股咨询", "{ind}技术交易撮合"],
        sents=["具备资质的评估团队可对专利、技术秘密等无形资产开展价值评估。", "提供技术转让、许可合同起草和交易谈判支持。",
               "协助办理技术合同认定登记，帮助企业享受税收优惠。", "可为成果作价入股提供评估和方案设计。",
               "年促成技术交易额超过{#1-10}亿元。"],
        kw=["评估", "转让", "技术交易", "许可", "作价入股", "成果转化", "技术合同登记"],
        terms=["评估费按评估值的{0.5/0.8/1}%收取，最低{#1-3}万元。", "交易撮合成功后收取佣金。", "技术合同登记代办免费。"]),
    "rd_crowdsourcing": dict(
        titles=["研发众包与揭榜挂帅组织服务", "工程技术难题悬赏征集", "外包研发项目管理", "{ind}技术难题众包"],
        sents=["帮助企业将技术难题拆解成榜单，在平台上公开征集解决方案。", "组织专家评审揭榜方案，并对研发过程进行里程碑管理。",
               "平台汇聚{#5-20}000名注册工程师和科研人员。", "支持悬赏、竞标和定向委托等多种模式。", "保障企业商业秘密和成果归属。"],
        kw=["众包", "揭榜挂帅", "外包研发", "悬赏", "技术攻关"],
        terms=["发榜免费，成交后收取{#5-10}%服务费。", "悬赏金由平台托管至验收。", "单项目管理费{#1-5}万元。"]),
    "testing_inspection": dict(
        titles=["{ind}产品检验检测服务", "食品与农产品质量安全检测", "材料性能分析测试", "第三方检测认证与中试验证"],
        sents=["实验室通过CMA和CNAS认可，可出具具有法律效力的检测报告。", "检测能力覆盖理化、微生物、材料性能和环境监测等{#3-12}00余项参数。",
               "提供产品认证、型式检验和出口检测咨询。", "可开展中试验证和分析测试方法开发。", "常规项目{#3-7}个工作日出具报告，支持加急。"],
        kw=["检测", "检验", "认证", "质检", "分析测试", "CMA", "CNAS"],
        terms=["按收费标准执行，批量送检可优惠。", "加急服务加收{#30-50}%。", "签订年度检测协议的客户享受折扣。"]),
    "policy_services": dict(
        titles=["高新技术企业认定辅导", "科技项目申报与政策兑现服务", "研发费用加计扣除与补贴申报", "{ind}企业政策匹配服务"],
        sents=["熟悉国家、省、市科技政策，提供高企认定、科技型中小企业评价辅导。", "协助企业申报各级科技计划项目、研发补贴和创新平台。",
               "梳理研发费用归集，帮助企业享受加计扣除等税收优惠。", "提供政策解读和申报材料编制服务。",
               "近三年辅导企业通过高企认定{#5-20}0余家。"],
        kw=["申报", "高企认定", "补贴", "政策", "项目申请", "科技型中小企业"],
        terms=["基础服务费加成功后收费。", "高企认定辅导{#1-3}万元/家。", "政策咨询免费。"]),
    "intellectual_property": dict(
        titles=["专利申请与专利布局服务", "知识产权分析与侵权风险预警", "商标注册与知识产权保护", "{ind}专利导航分析"],
        sents=["专利代理师团队熟悉{inds}领域技术，提供专利挖掘、撰写和申请服务。", "开展专利检索、自由实施分析和侵权风险评估。",
               "协助企业制定专利布局策略和知识产权管理体系。", "提供商标注册、维权和知识产权诉讼支持。", "可开展产业专利导航和高价值专利培育。"],
        kw=["专利", "知识产权", "专利布局", "商标", "侵权分析", "专利导航"],
        terms=["发明专利代理{#5-9}000元/件。", "专利导航报告按项目报价。", "知识产权贯标辅导{#2-5}万元。"]),
    "tech_finance": dict(
        titles=["科技型企业信贷与融资对接", "知识产权质押融资服务", "科技项目投融资路演对接", "{ind}产业链金融服务"],
        sents=["联合合作银行推出科技信贷产品，为科技型中小企业提供信用贷款。", "开展知识产权质押融资，协助完成专利评估和登记。",
               "对接风险投资和产业基金，组织投融资对接会。", "提供融资担保和政策性贴息申请支持。", "累计帮助企业获得融资超过{#5-30}亿元。"],
        kw=["融资", "贷款", "投资", "风险投资", "知识产权质押", "担保", "科技信贷"],
        terms=["融资对接服务免费。", "担保费率{1/1.5/2}%/年。", "成功融资后按{#1-3}%收取顾问费。"]),
}
OFFER_EN = {
    "rd_crowdsourcing": dict(
        title="Cross-border R&D crowdsourcing for western Guangdong manufacturers",
        description="We turn a company's technical bottleneck into a challenge brief, publish it to research teams in Hong Kong, "
                    "Macao and Hengqin, screen proposals and manage milestones. 可提供中英双语揭榜挂帅与研发众包组织服务。",
        keywords=["众包", "揭榜挂帅", "crowdsourcing", "外包研发", "Hong Kong"],
        terms="Listing is free; 6% success fee on the contract value."),
    "resource_matching": dict(
        title="Greater Bay Area research partner sourcing",
        description="Matching Zhanjiang enterprises with university labs in Hong Kong, Macao and Zhuhai: need scoping, NDAs, "
                    "site visits and joint funding applications. 提供大湾区产学研对接与合作伙伴寻找服务。",
        keywords=["对接", "产学研", "合作伙伴", "Greater Bay Area", "technology sourcing"],
        terms="Annual membership 20,000 RMB; matching events are free for members."),
}
CATEGORY_FIELD = {
    "consulting": "high_tech_services.consulting", "training": "high_tech_services",
    "resource_matching": "high_tech_services.tech_transfer", "innovation_events": "high_tech_services",
    "tech_evaluation_transaction": "high_tech_services.tech_transfer", "rd_crowdsourcing": "high_tech_services.rd_design",
    "testing_inspection": "high_tech_services.testing", "policy_services": "high_tech_services.consulting",
    "intellectual_property": "high_tech_services.ip", "tech_finance": "high_tech_services.consulting",
}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

_SLOT = re.compile(r"\{([^{}]*)\}")


def fill(rng: random.Random, text: str, **named) -> str:
    """Expand "{a/b}" (choice), "{#lo-hi}" (integer) and "{name}" (named value)."""

    def rep(m):
        body = m.group(1)
        if body in named:
            return str(named[body])
        if body.startswith("#"):
            lo, hi = body[1:].split("-")
            return str(rng.randint(int(lo), int(hi)))
        if "/" not in body:
            raise KeyError(f"unfilled slot {{{body}}} in {text!r}")
        return rng.choice(body.split("/"))

    return _SLOT.sub(rep, text)


def sample_ordered(rng: random.Random, items: list, k: int) -> list:
    """k distinct items, kept in their original order."""
    k = max(0, min(k, len(items)))
    idx = sorted(rng.sample(range(len(items)), k))
    return [items[i] for i in idx]


def uniq(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def weighted_pick(rng: random.Random, weights: dict, exclude=()) -> str:
    keys = [k for k in weights if k not in exclude and weights[k] > 0]
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def patent_number(rng: random.Random, utility: bool) -> str:
    year = rng.randint(2015, 2024)
    kind = 2 if utility else 1
    serial = rng.randint(0, 9999999)
    digits = f"{year}{kind}{serial:07d}"
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    check = sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return f"ZL {year} {kind} {serial:07d}.{'X' if check == 10 else check}"


def join_within(parts: list[str], optional: list[str], hi: int, sep: str = "") -> str:
    """Join required parts, then add optional ones while the text stays within hi."""
    text = sep.join(p for p in parts if p)
    for p in optional:
        if p and len(text) + len(sep) + len(p) <= hi:
            text = text + sep + p if text else p
    return text


def fit(seq: list[tuple[str, bool]], hi: int, sep: str = "") -> str:
    """Join (sentence, droppable) pairs in order, dropping droppable ones from the end until within hi."""
    seq = [(s, d) for s, d in seq if s]
    while len(sep.join(s for s, _ in seq)) > hi:
        idx = [i for i, (_, d) in enumerate(seq) if d]
        if not idx:
            break
        del seq[idx[-1]]
    return sep.join(s for s, _ in seq)


TRACK_RECORD = ("已在", "已为", "已协助", "已有", "已完成", "可为", "可提供", "提供", "参与", "推广", "示范", "具备", "拥有",
                "建有", "为{", "积累", "编制", "平台", "开展了", "选育和引进")


def technical(sentences: list[str]) -> list[str]:
    """Sentences that state a technical result rather than a track record or a service."""
    tech = [s for s in sentences if not any(w in s for w in TRACK_RECORD)]
    return tech or sentences


def region_text(code: str) -> str:
    name = REGION_NAME[code]
    if code in CITY_DISTRICTS:
        return "湛江" + name
    return name


KIND_WEIGHTS = {
    "university": dict(research_direction=3, achievement=3, patent=2, instrument=2, team=2, platform=1),
    "research_institute": dict(research_direction=2, achievement=3, patent=2, instrument=2, team=1, platform=2),
    "laboratory": dict(research_direction=2, achievement=2, patent=1, instrument=3, team=1, platform=2),
    "enterprise": dict(research_direction=0, achievement=3, patent=2, instrument=1, team=0, platform=1),
    "english": dict(research_direction=3, achievement=2, patent=0, instrument=0, team=2, platform=0),
}
TRL_BY_KIND = dict(research_direction=(2, 4), achievement=(5, 8), patent=(3, 7), instrument=(9, 9), team=(3, 6), platform=(5, 8))

# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.orgs: dict[str, dict] = {}        # key -> organization record
        self.org_kind: dict[str, str] = {}     # key -> kind
        self.short: dict[str, str] = {}
        self.partners: dict[str, list[str]] = {t["code"]: t["acad"] + t["ent"] for t in TOPICS}
        self.caps: list[dict] = []
        self.org_titles: dict[str, set] = defaultdict(set)  # owner key -> capability titles
        self.offers: list[dict] = []
        self.needs: list[dict] = []
        self.labels: list[dict] = []

    # -- static sanity of the hand-written data ---------------------------
    def _assert_static(self):
        ent_keys = {e[0] for e in ENTERPRISES}
        acad_keys = {a[0] for a in ACADEMIC}
        for t in TOPICS:
            for k in t["acad"]:
                assert k in acad_keys, (t["code"], k)
            for k in t["ent"]:
                assert k in ent_keys, (t["code"], k)
            for k in t["own"]:
                assert k in ent_keys and k not in t["ent"], (t["code"], k)
            assert len(t["nt"]) >= 3 and len(t["ct"]) >= 4 and len(t["cs"]) >= 4, t["code"]
        for d in DECOYS:
            topic, owner = d[0], d[1]
            assert topic in TOPIC_BY_CODE, topic
            assert owner not in self.partners[topic], ("decoy owner is a partner", d)
        for a, b, owner, _ in COMBOS:
            assert owner in ent_keys and owner not in self.partners[a] and owner not in self.partners[b], (a, b, owner)

    # -- organizations -----------------------------------------------------
    def build_orgs(self):
        rng = self.rng
        topic_fields = defaultdict(list)
        topic_inds = defaultdict(list)
        for t in TOPICS:
            for k in t["acad"] + t["ent"] + t["own"]:
                topic_fields[k].extend(t["f"])
                topic_inds[k].extend(t["ind"])
        counters = Counter()
        prefix = dict(enterprise="ent", university="uni", research_institute="ins", laboratory="lab",
                      intermediary_agency="agy", incubator="inc", financial_institution="fin")

        issued = Counter()

        def certificate(qualification):
            # As the bureau verified them: a numbered certificate, valid for
            # three years from 2025-12-01 (Beijing time).
            issued[qualification] += 1
            return dict(qualification=qualification,
                        certificate_number=f"{CERT_PREFIX[qualification]}{issued[qualification]:05d}",
                        valid_from_ms=CERT_VALID_FROM_MS, valid_until_ms=CERT_VALID_UNTIL_MS)

        def ref_for(kind):
            counters[kind] += 1
            return f"org-{prefix[kind]}-{counters[kind]:03d}"

        def org(key, kind, name, region, inds, fields, quals, desc):
            rec = dict(type="organization", ref=ref_for(kind), name=name, kind=kind, region_code=region,
                       industries=inds, high_tech_fields=fields,
                       qualification_certificates=[certificate(q) for q in quals], description=desc,
                       website="", credit_code="")
            self.orgs[key] = rec
            self.org_kind[key] = kind

        for key, name, region, inds, quals, profile in ENTERPRISES:
            inds = inds.split()
            fields = uniq(topic_fields[key])[:3] or IND_FIELDS[inds[0]]
            extras = sample_ordered(rng, ENT_DESC_EXTRA, rng.randint(1, 2))
            desc = profile + "。" + "".join(fill(rng, e) for e in extras)
            if region not in CITY_DISTRICTS:
                desc += "在湛江设有服务团队，重点服务粤西客户。"
            if rng.random() < 0.08:
                desc += " " + rng.choice(ENT_EN_ADDON)
            org(key, "enterprise", name, region, inds, fields, [QUAL[q] for q in quals.split()], desc)
        for key, kind, name, short, region, quals, desc in ACADEMIC:
            self.short[key] = short
            inds = uniq(topic_inds[key])[:6]
            fields = uniq(topic_fields[key])[:5]
            org(key, kind, name, region, inds, fields, [QUAL[q] for q in quals.split()], desc)
        for key, name, region, cats, inds, _regions, desc in AGENCIES:
            fields = uniq(CATEGORY_FIELD[c] for c in cats.split())
            quals = ["tech_sme"] if rng.random() < 0.4 else []
            org(key, "intermediary_agency", name, region, inds.split(), fields, quals, desc)
        for key, kind, name, region, inds, fields, quals, desc in OTHER_ORGS:
            org(key, kind, name, region, inds.split(), fields.split(), [QUAL[q] for q in quals.split()], desc)

    # -- capabilities ------------------------------------------------------
    def _cap(self, owner, kind, title, desc, keywords, fields, inds, trl, sharing, reference):
        return dict(type="capability", organization=self.orgs[owner]["ref"], kind=kind, title=title,
                    description=desc, keywords=keywords, high_tech_fields=fields, industries=inds, trl=trl,
                    available_for_sharing=sharing, reference=reference, region_code=self.orgs[owner]["region_code"])

    def build_capabilities(self):
        rng = self.rng
        for t in TOPICS:
            used_titles: set[str] = set()
            used_ct = set()
            used_pat = set()
            used_ins = set()
            owners = t["acad"] + t["ent"]
            # One partner of each topic describes itself only in paraphrase:
            # none of the need-side keywords appears verbatim in its records.
            paraphrase = rng.choice([o for o in owners if o not in ENGLISH_ORGS]) if len(owners) >= 2 else None
            for owner in owners:
                okind = self.org_kind[owner]
                english = owner in ENGLISH_ORGS
                weights = KIND_WEIGHTS["english" if english else okind]
                if english:
                    n = rng.choice([1, 2])
                elif okind == "enterprise":
                    n = rng.choice([1, 2, 2])
                else:
                    n = rng.choice([2, 2, 3, 3])
                kinds: list[str] = []
                made = 0
                while len(kinds) < n:
                    kinds.append(weighted_pick(rng, weights, exclude=kinds))
                for kind in kinds:
                    cap = None
                    if english and t["en"]:
                        cap = self._english_cap(t, owner, kind, used_titles)
                    if cap is None:
                        tt = self._paraphrased(t) if owner == paraphrase else t
                        cap = self._chinese_cap(tt, owner, kind, used_titles, used_ct, used_pat, used_ins)
                    if cap is not None:
                        used_titles.add(cap["title"])
                        self.org_titles[owner].add(cap["title"])
                        self.caps.append(cap)
                        made += 1
                # every partner of a topic must really list something for it
                assert made, (t["code"], owner)
        for topic, owner, kind, title, desc, kws, fields, inds in DECOYS:
            trl = rng.randint(*TRL_BY_KIND[kind])
            ref = ""
            if kind == "patent":
                ref = patent_number(rng, utility="装置" in title)
            elif kind == "instrument":
                ref = "NAX-" + str(rng.randint(100, 999))
            closers = {"research_direction": [c for c in RD_CLOSE if c], "achievement": ACH_CLOSE, "patent": PAT_CLOSE,
                       "instrument": INS_SHARE, "platform": PLAT_CLOSE, "team": [c for c in TEAM_CLOSE if c]}[kind]
            desc = fill(rng, desc)
            if len(desc) < 60 or rng.random() < 0.5:
                desc = join_within([desc], [fill(rng, rng.choice(closers), place=rng.choice(PLACES))], 200)
            self.caps.append(self._cap(owner, kind, title, desc, kws.split("|"), fields.split(), inds.split(),
                                       trl, kind == "instrument", ref))
        academic_keys = [a[0] for a in ACADEMIC if a[0] not in ENGLISH_ORGS]
        for t in rng.sample(TOPICS, 45):
            kind, title, desc, kws = rng.choice(SURFACE_DECOYS)
            owner = rng.choice([k for k in academic_keys if k not in self.partners[t["code"]]])
            kw, kw2 = t["nk"][0], rng.choice(t["nk"][1:4])
            named = dict(kw=kw, kw2=kw2, ind=IND_NAME[t["ind"][0]])
            title = fill(rng, title, **named)
            if title in self.org_titles[owner]:
                continue
            self.org_titles[owner].add(title)
            self.caps.append(self._cap(owner, kind, title, fill(rng, desc, **named), [kw, kw2] + kws.split("|"),
                                       ["high_tech_services.consulting"], [t["ind"][0]],
                                       rng.randint(*TRL_BY_KIND[kind]), False, ""))
        rng.shuffle(self.caps)
        for i, c in enumerate(self.caps, 1):
            c["ref"] = f"cap-{i:03d}"

    @staticmethod
    def _paraphrased(t):
        """The topic with research-side pools stripped of need-side keywords."""
        need_terms = t["nk"]

        def keep(pool, minimum):
            text_of = (lambda x: "".join(x)) if pool and isinstance(pool[0], tuple) else (lambda x: x)
            kept = [x for x in pool if not any(term in text_of(x) for term in need_terms)]
            return kept if len(kept) >= minimum else pool

        return dict(t, area=keep(t["area"], 1), ct=keep(t["ct"], 1), cs=keep(t["cs"], 2), ck=keep(t["ck"], 3),
                    pat=keep(t["pat"], 1), ins=keep(t["ins"], 1))

    def _english_cap(self, t, owner, kind, used_titles):
        rng = self.rng
        _, _, ctitle, cdesc = t["en"]
        title = {"research_direction": ctitle, "achievement": "Technology package: " + ctitle,
                 "team": "Research team: " + ctitle}.get(kind)
        if title is None or title in used_titles:
            return None
        desc = join_within([cdesc], [rng.choice(EN_CAP_CLOSE)], 200, sep=" ")
        kws = sample_ordered(rng, t["ck"], rng.randint(3, 5))
        fields = sample_ordered(rng, t["f"], rng.randint(1, len(t["f"])))
        inds = t["ind"][: rng.randint(1, len(t["ind"]))]
        return self._cap(owner, kind, title, desc, kws, fields, inds, rng.randint(*TRL_BY_KIND[kind]), False, "")

    def _chinese_cap(self, t, owner, kind, used_titles, used_ct, used_pat, used_ins):
        rng = self.rng
        okind = self.org_kind[owner]
        area = rng.choice(t["area"])
        # sentence templates are chosen distinct, then filled once each
        tech_pool = technical(t["cs"])
        tech_t = rng.sample(tech_pool, min(2, len(tech_pool)))
        other_t = [s for s in rng.sample(t["cs"], len(t["cs"])) if s != tech_t[0]]
        cs_t = rng.choice([[tech_t[0], other_t[0]], other_t[:2] if len(other_t) > 1 else [tech_t[0], other_t[0]]])
        cs = [fill(rng, s) for s in cs_t]
        reference = ""
        sharing = False
        tech = [fill(rng, s) for s in tech_t]
        if kind == "research_direction":
            free = [c for c in t["ct"] if c not in used_ct]
            if free and rng.random() < 0.5:
                title = rng.choice(free)
                used_ct.add(title)
            else:
                title = area + rng.choice(RD_SUFFIX)
            desc = fit([(fill(rng, rng.choice(RD_OPEN), area=area) + cs[0], False), (cs[1], True),
                        (rng.choice(RD_CLOSE), True)], 200)
        elif kind == "achievement":
            free = [c for c in t["ct"] if c not in used_ct]
            if free:
                title = rng.choice(free)
                used_ct.add(title)
            else:
                title = area + rng.choice(["成套技术", "集成技术及应用"])
            opener = rng.choice(ENT_ACH_OPEN if okind == "enterprise" else ACH_OPEN)
            close = fill(rng, rng.choice(ACH_CLOSE), place=rng.choice(PLACES))
            second = fill(rng, next((s for s in other_t if s not in tech_t), other_t[0]))
            desc = fit([(opener + tech[0], False), (second, True), (close, False)], 200)
        elif kind == "patent":
            free = [p for p in t["pat"] if p not in used_pat]
            if not free:
                return self._chinese_cap(t, owner, "achievement", used_titles, used_ct, used_pat, used_ins)
            title = rng.choice(free)
            used_pat.add(title)
            reference = patent_number(rng, utility=title.endswith(("装置", "结构", "系统", "机构", "电路", "灯具", "网箱", "刮麻机")))
            head = fill(rng, rng.choice(PAT_OPEN), area=area, title=title)
            desc = fit([(head + tech[0], False), (tech[-1] if len(tech) > 1 else "", True),
                        (rng.choice(PAT_CLOSE), False)], 200)
        elif kind == "instrument":
            free = [i for i in t["ins"] if i not in used_ins]
            if not free:
                return self._chinese_cap(t, owner, "achievement", used_titles, used_ct, used_pat, used_ins)
            name, model = rng.choice(free)
            used_ins.add((name, model))
            title = name
            reference = model
            sharing = rng.random() < 0.85
            purpose = fill(rng, rng.choice(INS_PURPOSE), area=area)
            share = fill(rng, rng.choice(INS_SHARE if sharing else INS_NOSHARE))
            ck2 = rng.sample(t["ck"], 2)
            scope = fill(rng, rng.choice(INS_SCOPE), a=ck2[0], b=ck2[1])
            desc = fit([(f"{name}（型号{model}），{purpose}。", False), (scope, True), (share, False)], 200)
        elif kind == "team":
            title = area + rng.choice(TEAM_SUFFIX)
            head = fill(rng, "团队现有成员{#8-30}人，其中高级职称{#3-10}人，主攻" + area + "。")
            desc = fit([(head + cs[0], False), (rng.choice(TEAM_CLOSE), True)], 200)
        else:  # platform
            title = self.short.get(owner, REGION_NAME[self.orgs[owner]["region_code"]].rstrip("市区县")) + area + rng.choice(PLAT_SUFFIX)
            sharing = rng.random() < 0.4
            head = fill(rng, "平台建有{#3-30}00平方米实验和中试场地，")
            desc = fit([(head + cs[0], False), (cs[1], True), (fill(rng, rng.choice(PLAT_CLOSE)), False)], 200)
        for extra in [fill(rng, s) for s in t["cs"]] + ["欢迎企业来函洽谈合作。"]:
            if len(desc) >= 40:
                break
            if extra not in desc and len(desc) + len(extra) <= 200:
                desc += extra
        if title in self.org_titles[owner] and kind == "instrument":
            return self._chinese_cap(t, owner, "achievement", used_titles, used_ct, used_pat, used_ins)
        if title in used_titles or title in self.org_titles[owner]:
            title = title + rng.choice(["（二期）", "及示范应用", "与工程化"])
            if title in used_titles or title in self.org_titles[owner]:
                return None
        if rng.random() < 0.1:
            desc = join_within([desc], [rng.choice(CAP_EN_TAG[kind])], 200, sep=" ")
        kws = sample_ordered(rng, t["ck"], rng.randint(3, 6))
        if rng.random() < 0.3 and area not in kws:
            kws.append(area)
        fields = sample_ordered(rng, t["f"], rng.randint(1, len(t["f"])))
        inds = t["ind"][: rng.randint(1, len(t["ind"]))]
        trl = rng.randint(*TRL_BY_KIND[kind])
        return self._cap(owner, kind, title, desc, kws, fields, inds, trl, sharing, reference)

    # -- offers ------------------------------------------------------------
    def build_offers(self):
        rng = self.rng
        for key, _name, _region, cats, inds, regions, _desc in AGENCIES:
            inds = inds.split()
            used_titles = set()
            for cat in cats.split():
                if key in ENGLISH_AGENCIES and cat in OFFER_EN:
                    e = OFFER_EN[cat]
                    title, desc, kws, terms = e["title"], e["description"], list(e["keywords"]), e["terms"]
                else:
                    pool = OFFER_POOLS[cat]
                    focus = [IND_NAME[i] for i in inds]
                    ind = rng.choice(focus)
                    inds_txt = "、".join(sample_ordered(rng, focus, min(3, len(focus))))
                    title = fill(rng, rng.choice([x for x in pool["titles"] if x not in used_titles]), ind=ind, inds=inds_txt)
                    used_titles.add(title)
                    sents = sample_ordered(rng, pool["sents"], rng.randint(3, 4))
                    desc = "".join(fill(rng, s, ind=ind, inds=inds_txt) for s in sents)
                    kws = sample_ordered(rng, pool["kw"], rng.randint(3, len(pool["kw"])))
                    if rng.random() < 0.5:
                        kws.append(ind)
                    terms = fill(rng, rng.choice(pool["terms"]))
                served_inds = sample_ordered(rng, inds, rng.randint(max(2, len(inds) - 2), len(inds)))
                self.offers.append(dict(
                    type="offer", organization=self.orgs[key]["ref"], category=cat, title=title, description=desc,
                    keywords=kws, regions_served=regions.split(), industries_served=served_inds, terms=terms,
                    monthly_capacity=rng.choice([0, 5, 8, 10, 15, 20, 30, 40]),
                ))
        for i, o in enumerate(self.offers, 1):
            o["ref"] = f"offer-{i:03d}"

    # -- needs -------------------------------------------------------------
    def _budget(self, lo, hi):
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            return 0, 0  # 面议
        step = 5 if hi <= 300 else 10 if hi <= 1000 else 50
        mn = rng.randrange(lo, max(lo + step, (lo + hi) // 2) + 1, step)
        if r < 0.09:
            return mn * 10000, 0  # open-ended
        mx = min(hi, int(mn * rng.choice([1.5, 2, 2.5, 3])) // step * step)
        mx = max(mx, mn)
        return mn * 10000, mx * 10000

    def _competencies(self, comps):
        rng = self.rng
        if rng.random() < 0.2:
            return []
        chosen = sample_ordered(rng, comps, rng.randint(1, min(4, len(comps))))
        return [dict(name=c, weight=rng.randint(3, 10)) for c in chosen]

    def _need(self, topics, owner, title, trigger, allow_en):
        rng = self.rng
        t = topics[0]
        orec = self.orgs[owner]
        region = orec["region_code"]
        r = rng.random()
        if r < 0.05:
            region = "440800"
        elif r < 0.15:
            region = rng.choice(CITY_DISTRICTS)
        trl = 0 if rng.random() < 0.04 else rng.randint(*t["trl"])
        lo = min(x["budget"][0] for x in topics)
        hi = max(x["budget"][1] for x in topics)
        bmin, bmax = self._budget(lo, hi)
        english = allow_en and t["en"] is not None and rng.random() < 0.35
        if english:
            title = t["en"][0]
            desc = join_within([t["en"][1]], [rng.choice(NEED_EN_TAIL)], 300, sep=" ")
            if trigger:
                desc = join_within([desc, SERVICE_TRIGGERS[trigger][0]], [], 300, sep=" ")
        else:
            if len(topics) == 1:
                nc = [fill(rng, s) for s in sample_ordered(rng, t["nc"], rng.randint(1, 2))]
                na = [fill(rng, s) for s in sample_ordered(rng, t["na"], rng.randint(1, 2))]
            else:
                nc = [fill(rng, rng.choice(t["nc"]))]
                na = [fill(rng, rng.choice(t["na"])), fill(rng, rng.choice(topics[1]["na"]))]
            opener = ""
            if rng.random() < 0.35:
                ind0 = orec["industries"][0]
                opener = fill(rng, rng.choice(NEED_OPEN), region=region_text(orec["region_code"]), indname=IND_NAME[ind0])
            cons = ""
            if rng.random() < 0.6:
                cons = fill(rng, rng.choice(NEED_CONS), trl=trl or 6,
                            budget=(bmax or bmin) // 10000 if (bmax or bmin) else "面议")
            # (sentence, drop rank): None = always kept; lower ranks are dropped first
            seq = [(opener, 1)] + [(nc[0], None)] + [(s, 3) for s in nc[1:]]
            seq += [(na[0], None)] + [(s, 4 if len(topics) == 1 else None) for s in na[1:]] + [(cons, 2)]
            if trigger:
                seq.append((rng.choice(SERVICE_TRIGGERS[trigger]), None))
            seq = [(s, r) for s, r in seq if s]
            while len("".join(s for s, _ in seq)) > 300:
                droppable = [(r, i) for i, (s, r) in enumerate(seq) if r is not None]
                if not droppable:
                    break
                del seq[min(droppable)[1]]
            desc = "".join(s for s, _ in seq)
            spare = [fill(rng, s) for x in topics for s in x["nc"] + x["na"]] + [fill(rng, NEED_CONS[1])]
            for extra in spare:
                if len(desc) >= 60:
                    break
                if extra not in desc and len(desc) + len(extra) <= 300:
                    desc += extra
            if rng.random() < 0.08:
                desc = join_within([desc], [rng.choice(NEED_EN_ADDON)], 300, sep=" ")
        kws = []
        for x in topics:
            kws += sample_ordered(rng, x["nk"], rng.randint(3, 6) if len(topics) == 1 else rng.randint(2, 4))
        if rng.random() < 0.15:
            kws.append(rng.choice(IND_TERMS[t["ind"][0]]))
        comps = self._competencies(uniq(sum((x["comp"] for x in topics), [])))
        fields = uniq(sum((sample_ordered(rng, x["f"], rng.randint(1, len(x["f"]))) for x in topics), []))
        inds = uniq(sum((x["ind"][: rng.randint(1, len(x["ind"]))] for x in topics), []))
        modes_pool = uniq(sum((x["modes"] for x in topics), []))
        modes = sample_ordered(rng, modes_pool, rng.randint(1, min(3, len(modes_pool))))
        need = dict(type="need", organization=orec["ref"], title=title, description=desc, keywords=uniq(kws),
                    competencies=comps, high_tech_fields=fields, industries=inds, cooperation_modes=modes,
                    target_trl=trl, budget=dict(min_yuan=bmin, max_yuan=bmax), visibility="public", region_code=region)
        partners = uniq(sum((self.partners[x["code"]] for x in topics), []))
        good = sorted(self.orgs[k]["ref"] for k in partners if k != owner)
        return need, good

    def build_needs(self):
        rng = self.rng
        plan = []  # (topics, owner, title, english allowed)
        first = {}
        for t in TOPICS:
            title = rng.choice(t["nt"])
            owner = rng.choice(t["own"])
            first[t["code"]] = (owner, title)
            plan.append(([t], owner, title, True))
        for t in rng.sample(TOPICS, 20):
            owner0, title0 = first[t["code"]]
            others = [o for o in t["own"] if o != owner0] or t["own"]
            plan.append(([t], rng.choice(others), rng.choice([x for x in t["nt"] if x != title0]), False))
        for a, b, owner, title in COMBOS:
            plan.append(([TOPIC_BY_CODE[a], TOPIC_BY_CODE[b]], owner, title, False))
        rng.shuffle(plan)
        # service triggers: ~40% of needs, cycling through all ten categories
        n_trig = round(len(plan) * 0.4)
        trig_idx = rng.sample(range(len(plan)), n_trig)
        cats = CATEGORIES[:]
        rng.shuffle(cats)
        trig_of = {i: cats[j % len(cats)] for j, i in enumerate(trig_idx)}
        goods = []
        for i, (topics, owner, title, allow_en) in enumerate(plan):
            need, good = self._need(topics, owner, title, trig_of.get(i), allow_en)
            need["ref"] = f"need-{i + 1:03d}"
            self.needs.append(need)
            goods.append(good)
        n = len(self.needs)
        vis_idx = rng.sample(range(n), round(n * 0.10) + round(n * 0.05))
        for j, i in enumerate(vis_idx):
            self.needs[i]["visibility"] = "anonymous" if j < round(n * 0.10) else "private"
        labelled = [(need, good) for need, good in zip(self.needs, goods) if need["visibility"] != "private"]
        heldout = set(rng.sample(range(len(labelled)), round(len(labelled) * 0.3)))
        for j, (need, good) in enumerate(labelled):
            self.labels.append(dict(need=need["ref"], good_partners=good, split="heldout" if j in heldout else "dev"))

    def run(self):
        self._assert_static()
        self.build_orgs()
        self.build_capabilities()
        self.build_offers()
        self.build_needs()
        records = list(self.orgs.values()) + self.caps + self.offers + self.needs
        return records, self.labels


def dumps_lines(objs) -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objs)


def generate(seed: int = DEFAULT_SEED):
    records, labels = Generator(seed).run()
    return dumps_lines(records), dumps_lines(labels)

# ---------------------------------------------------------------------------
# Self-check (--check)
# ---------------------------------------------------------------------------

ORG_KINDS = {"enterprise", "university", "laboratory", "research_institute", "intermediary_agency", "incubator",
             "financial_institution"}
ACADEMIC_KINDS = {"university", "laboratory", "research_institute"}
CAP_KINDS = {"research_direction", "achievement", "patent", "instrument", "team", "platform"}
VISIBILITIES = {"public", "anonymous", "private"}
REQUIRED_INDUSTRIES = {
    "pillar": ["green_steel", "green_petrochemical", "high_end_paper", "green_energy"],
    "emerging": ["new_materials", "equipment_manufacturing", "modern_medicine", "electronic_information"],
    "traditional": ["home_appliances", "down", "furniture", "footwear"],
    "agricultural": ["shrimp", "oyster", "golden_pompano", "dragon_fruit", "pineapple", "tropical_fruit",
                     "southern_medicine", "prepared_dishes"],
}
PATENT_RE = re.compile(r"^ZL (\d{4}) ([12389]) (\d{7})\.([0-9X])$")
ENGLISH_RE = re.compile(r"[A-Za-z]{2,}[,;]? [A-Za-z]{2,}[,;]? [A-Za-z]{2,}")


def load_taxonomy(directory: Path = TAXONOMY_DIR):
    import tomllib

    def load(name):
        with open(directory / name, "rb") as f:
            return tomllib.load(f)

    fields = set()
    for fld in load("high_tech_fields.toml")["field"]:
        fields.add(fld["code"])
        for sub in fld.get("sub", []):
            fields.add(f'{fld["code"]}.{sub["code"]}')
    industries = {i["code"]: i["group"] for i in load("industries.toml")["industry"]}
    regions = {r["code"]: r["tier"] for r in load("regions.toml")["region"]}
    categories = {c["code"].lower(): c["triggers"] for c in load("service_categories.toml")["category"]}
    return fields, industries, regions, categories


def patent_check_ok(ref: str) -> bool:
    m = PATENT_RE.match(ref)
    if not m:
        return False
    digits = m.group(1) + m.group(2) + m.group(3)
    check = sum(int(d) * w for d, w in zip(digits, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])) % 11
    return m.group(4) == ("X" if check == 10 else str(check))


def check(data_text: str, labels_text: str) -> tuple[list[str], list[str]]:
    """Returns (errors, report lines)."""
    fields, industries, regions, categories = load_taxonomy()
    errors: list[str] = []
    report: list[str] = []

    def err(msg):
        errors.append(msg)

    def text_ok(rec, key, lo, hi, what):
        v = rec.get(key)
        if not isinstance(v, str) or not (lo <= len(v) <= hi):
            err(f"{rec.get('ref')}: {what} {key!r} length {len(v) if isinstance(v, str) else v!r} not in [{lo}, {hi}]")

    def codes_ok(rec, key, valid, what, nonempty=True):
        v = rec.get(key)
        if not isinstance(v, list) or (nonempty and not v):
            err(f"{rec.get('ref')}: {key} must be a non-empty list")
            return
        for c in v:
            if c not in valid:
                err(f"{rec.get('ref')}: invalid {what} code {c!r} in {key}")
        if len(set(v)) != len(v):
            err(f"{rec.get('ref')}: duplicate codes in {key}")

    def keywords_ok(rec):
        kws = rec.get("keywords")
        if not isinstance(kws, list) or len(kws) > 20 or any(not isinstance(k, str) or not (1 <= len(k) <= 50) for k in kws):
            err(f"{rec.get('ref')}: keywords violate limits (<=20 items, each 1..50 chars)")

    # --- parse, key order and serialization ---
    records = []
    for n, line in enumerate(data_text.splitlines(), 1):
        obj = json.loads(line)
        if json.dumps(obj, ensure_ascii=False, sort_keys=True) != line:
            err(f"line {n}: not serialized with sorted keys / ensure_ascii=False")
        records.append(obj)
    types = [r.get("type") for r in records]
    order = {"organization": 0, "capability": 1, "offer": 2, "need": 3}
    if any(t not in order for t in types):
        err("unknown record type")
    elif [order[t] for t in types] != sorted(order[t] for t in types):
        err("records are not ordered organizations, capabilities, offers, needs")

    refs = Counter(r.get("ref") for r in records)
    for ref, c in refs.items():
        if not ref or c > 1:
            err(f"ref {ref!r} is empty or used {c} times")
    orgs = {r["ref"]: r for r in records if r["type"] == "organization"}
    caps = [r for r in records if r["type"] == "capability"]
    offers = [r for r in records if r["type"] == "offer"]
    needs = [r for r in records if r["type"] == "need"]

    # --- organizations ---
    for o in orgs.values():
        text_ok(o, "name", 1, 200, "organization")
        text_ok(o, "description", 1, 5000, "organization")
        if o.get("kind") not in ORG_KINDS:
            err(f"{o['ref']}: invalid kind {o.get('kind')!r}")
        if o.get("region_code") not in regions:
            err(f"{o['ref']}: invalid region {o.get('region_code')!r}")
        codes_ok(o, "industries", industries, "industry")
        codes_ok(o, "high_tech_fields", fields, "high-tech field")
        for c in o["qualification_certificates"]:
            if c["qualification"] not in set(QUAL.values()):
                err(f"{o['ref']}: invalid qualification {c['qualification']!r}")
        if o.get("website") != "" or o.get("credit_code") != "":
            err(f"{o['ref']}: website and credit_code must be empty strings")
    by_kind = defaultdict(list)
    for o in orgs.values():
        by_kind[o["kind"]].append(o)
    ents = by_kind["enterprise"]
    academic = [o for o in orgs.values() if o["kind"] in ACADEMIC_KINDS]
    agencies = by_kind["intermediary_agency"]
    if len(ents) < 60:
        err(f"only {len(ents)} enterprises (< 60)")
    if len(academic) < 15 or any(not by_kind[k] for k in ACADEMIC_KINDS):
        err(f"only {len(academic)} academic organizations or a kind is missing")
    if len(agencies) < 12:
        err(f"only {len(agencies)} intermediary agencies (< 12)")
    incs = by_kind["incubator"]
    if len(incs) < 2 or any(not set(quals_of(o)) & {"national_incubator", "maker_space"} for o in incs):
        err("need 2 incubators qualified national_incubator or maker_space")
    if len(by_kind["financial_institution"]) < 1:
        err("no financial institution")
    ent_inds = {i for o in ents for i in o["industries"]}
    for group, codes in REQUIRED_INDUSTRIES.items():
        for c in codes:
            if c not in ent_inds:
                err(f"no enterprise in industry {c} ({group})")
            elif industries.get(c) != group:
                err(f"industry {c} is not in group {group} in the taxonomy")
    ent_quals = Counter(q for o in ents for q in quals_of(o))
    for q in ("high_tech_enterprise", "tech_sme", "specialized_sme"):
        if not ent_quals[q]:
            err(f"no enterprise has qualification {q}")
    acad_tiers = Counter(regions[o["region_code"]] for o in academic)
    for tier in ("city", "greater_bay_area", "hainan", "china"):
        if not acad_tiers[tier]:
            err(f"no academic organization in tier {tier}")

    # --- capabilities ---
    cap_owner_kind = Counter()
    owners_with_caps = set()
    for c in caps:
        owner = orgs.get(c.get("organization"))
        if owner is None:
            err(f"{c['ref']}: unknown owner {c.get('organization')!r}")
            continue
        if owner["kind"] not in ACADEMIC_KINDS | {"enterprise"}:
            err(f"{c['ref']}: capability owned by a {owner['kind']}")
        cap_owner_kind["academic" if owner["kind"] in ACADEMIC_KINDS else "enterprise"] += 1
        owners_with_caps.add(owner["ref"])
        if c.get("kind") not in CAP_KINDS:
            err(f"{c['ref']}: invalid capability kind {c.get('kind')!r}")
        text_ok(c, "title", 1, 200, "capability")
        text_ok(c, "description", 40, 200, "capability")
        keywords_ok(c)
        codes_ok(c, "high_tech_fields", fields, "high-tech field")
        codes_ok(c, "industries", industries, "industry")
        if not isinstance(c.get("trl"), int) or not 1 <= c["trl"] <= 9:
            err(f"{c['ref']}: trl {c.get('trl')!r} not in 1..9")
        if not isinstance(c.get("available_for_sharing"), bool):
            err(f"{c['ref']}: available_for_sharing must be a bool")
        if c.get("region_code") not in regions:
            err(f"{c['ref']}: invalid region {c.get('region_code')!r}")
        if c["kind"] == "patent" and not patent_check_ok(c.get("reference", "")):
            err(f"{c['ref']}: bad patent reference {c.get('reference')!r}")
        if c["kind"] == "instrument" and not c.get("reference"):
            err(f"{c['ref']}: instrument without a model reference")
        if c["kind"] not in ("patent", "instrument") and c.get("reference") != "":
            err(f"{c['ref']}: unexpected reference")
    cap_kinds = Counter(c["kind"] for c in caps)
    if len(caps) < 300:
        err(f"only {len(caps)} capabilities (< 300)")
    if set(cap_kinds) != CAP_KINDS:
        err(f"capability kinds missing: {CAP_KINDS - set(cap_kinds)}")
    if not (cap_owner_kind["academic"] > cap_owner_kind["enterprise"] > 0):
        err("capabilities must be mostly academic with some enterprise-owned")
    if not any(c["kind"] == "instrument" and c["available_for_sharing"] for c in caps):
        err("no shareable instrument")

    # --- offers ---
    cat_agencies = defaultdict(set)
    for o in offers:
        owner = orgs.get(o.get("organization"))
        if owner is None or owner["kind"] != "intermediary_agency":
            err(f"{o['ref']}: owner must be an intermediary agency")
        if o.get("category") not in categories:
            err(f"{o['ref']}: invalid category {o.get('category')!r}")
        else:
            cat_agencies[o["category"]].add(o["organization"])
        text_ok(o, "title", 1, 200, "offer")
        text_ok(o, "description", 1, 5000, "offer")
        text_ok(o, "terms", 0, 5000, "offer")
        keywords_ok(o)
        codes_ok(o, "regions_served", regions, "region")
        codes_ok(o, "industries_served", industries, "industry")
        if not isinstance(o.get("monthly_capacity"), int) or o["monthly_capacity"] < 0:
            err(f"{o['ref']}: bad monthly_capacity")
    if len(offers) < 24:
        err(f"only {len(offers)} offers (< 24)")
    for cat in categories:
        if len(cat_agencies[cat]) < 2:
            err(f"category {cat} offered by {len(cat_agencies[cat])} agencies (< 2)")

    # --- needs ---
    vis = Counter()
    triggered = Counter()
    no_comp = 0
    for nd in needs:
        owner = orgs.get(nd.get("organization"))
        if owner is None or owner["kind"] != "enterprise":
            err(f"{nd['ref']}: owner must be an enterprise")
        text_ok(nd, "title", 1, 200, "need")
        text_ok(nd, "description", 60, 300, "need")
        keywords_ok(nd)
        comps = nd.get("competencies")
        if not isinstance(comps, list) or len(comps) > 4:
            err(f"{nd['ref']}: competencies must be a list of at most 4 (server limit 20)")
        else:
            no_comp += not comps
            for cp in comps:
                if not cp.get("name") or not isinstance(cp.get("weight"), int) or not 1 <= cp["weight"] <= 10:
                    err(f"{nd['ref']}: bad competency {cp!r}")
        codes_ok(nd, "high_tech_fields", fields, "high-tech field")
        codes_ok(nd, "industries", industries, "industry")
        codes_ok(nd, "cooperation_modes", set(MODE.values()), "cooperation mode")
        if not isinstance(nd.get("target_trl"), int) or not 0 <= nd["target_trl"] <= 9:
            err(f"{nd['ref']}: target_trl not in 0..9")
        b = nd.get("budget") or {}
        mn, mx = b.get("min_yuan"), b.get("max_yuan")
        if not (isinstance(mn, int) and isinstance(mx, int) and mn >= 0 and (mx == 0 or mx >= mn)):
            err(f"{nd['ref']}: bad budget {b!r}")
        if nd.get("visibility") not in VISIBILITIES:
            err(f"{nd['ref']}: bad visibility")
        vis[nd.get("visibility")] += 1
        if nd.get("region_code") not in regions:
            err(f"{nd['ref']}: invalid region {nd.get('region_code')!r}")
        text = nd["title"] + nd["description"]
        for cat, trig in categories.items():
            if any(t in text for t in trig):
                triggered[cat] += 1
    if len(needs) < 80:
        err(f"only {len(needs)} needs (< 80)")
    dup_titles = [t for t, c in Counter(nd["title"] for nd in needs).items() if c > 1]
    if dup_titles:
        err(f"duplicate need titles: {dup_titles}")
    dup_caps = [k for k, c in Counter((c["organization"], c["title"]) for c in caps).items() if c > 1]
    if dup_caps:
        err(f"duplicate capability titles within an organization: {dup_caps}")
    dup_names = [k for k, c in Counter(o["name"] for o in orgs.values()).items() if c > 1]
    if dup_names:
        err(f"duplicate organization names: {dup_names}")
    n = len(needs) or 1
    if not (vis["public"] / n >= 0.75 and 0.05 <= vis["anonymous"] / n <= 0.15 and 0.02 <= vis["private"] / n <= 0.08):
        err(f"visibility mix off: {dict(vis)}")
    for cat in categories:
        if not triggered[cat]:
            err(f"no need text triggers service category {cat}")
    if not no_comp:
        err("every need has competencies; some should have none")

    # --- labels ---
    labels = [json.loads(line) for line in labels_text.splitlines()]
    need_by_ref = {nd["ref"]: nd for nd in needs}
    splits = Counter()
    seen = set()
    for lb in labels:
        nd = need_by_ref.get(lb.get("need"))
        if nd is None:
            err(f"label for unknown need {lb.get('need')!r}")
            continue
        if lb["need"] in seen:
            err(f"duplicate label for {lb['need']}")
        seen.add(lb["need"])
        if nd["visibility"] == "private":
            err(f"label for private need {lb['need']}")
        gp = lb.get("good_partners")
        if not gp:
            err(f"{lb['need']}: no good partners")
        for p in gp or []:
            o = orgs.get(p)
            if o is None or o["kind"] not in ACADEMIC_KINDS | {"enterprise"}:
                err(f"{lb['need']}: partner {p!r} is not an academic organization or enterprise")
            if p == nd["organization"]:
                err(f"{lb['need']}: the owner is listed as its own partner")
            if p not in owners_with_caps:
                err(f"{lb['need']}: partner {p} owns no capability")
        if lb.get("split") not in ("dev", "heldout"):
            err(f"{lb['need']}: bad split")
        splits[lb.get("split")] += 1
    public_refs = {nd["ref"] for nd in needs if nd["visibility"] == "public"}
    if len(labels) < 60 or not public_refs <= seen:
        err(f"labels must cover every public need and at least 60 needs ({len(labels)} labels)")
    if labels and not 0.2 <= splits["heldout"] / len(labels) <= 0.4:
        err(f"heldout share {splits['heldout']}/{len(labels)} not ~30%")

    # --- report ---
    english = sum(1 for r in records if ENGLISH_RE.search(r.get("description", "") + " " + r.get("title", r.get("name", ""))))
    report.append(f"organizations: {len(orgs)} (enterprise {len(ents)}, university {len(by_kind['university'])}, "
                  f"research_institute {len(by_kind['research_institute'])}, laboratory {len(by_kind['laboratory'])}, "
                  f"intermediary_agency {len(agencies)}, incubator {len(incs)}, "
                  f"financial_institution {len(by_kind['financial_institution'])})")
    report.append(f"capabilities: {len(caps)} {dict(sorted(cap_kinds.items()))}; owners academic "
                  f"{cap_owner_kind['academic']}, enterprise {cap_owner_kind['enterprise']}")
    report.append(f"offers: {len(offers)}; agencies per category: "
                  + ", ".join(f"{c} {len(cat_agencies[c])}" for c in categories))
    report.append(f"needs: {len(needs)} {dict(sorted(vis.items()))}; without competencies {no_comp}; "
                  f"service triggers: " + ", ".join(f"{c} {triggered[c]}" for c in categories))
    report.append(f"labels: {len(labels)} {dict(sorted(splits.items()))}")
    report.append(f"records with English sentences: {english}/{len(records)} ({100 * english / len(records):.0f}%)")
    report.append(baseline_report(records, labels))
    return errors, report


def baseline_report(records, labels) -> str:
    """A naive keyword-overlap ranking, to show that the task is not trivial."""
    text_by_org = defaultdict(str)
    for r in records:
        if r["type"] == "capability":
            text_by_org[r["organization"]] += r["title"] + r["description"] + "".join(r["keywords"])
    needs = {r["ref"]: r for r in records if r["type"] == "need"}
    p5 = r5 = mrr = 0.0
    for lb in labels:
        nd = needs[lb["need"]]
        terms = nd["keywords"]
        scored = sorted(((-sum(t in txt for t in terms), org) for org, txt in text_by_org.items()
                         if org != nd["organization"]))
        ranked = [org for _, org in scored]
        good = set(lb["good_partners"])
        top = ranked[:5]
        p5 += sum(o in good for o in top) / 5
        r5 += sum(o in good for o in top) / len(good)
        mrr += next((1 / (i + 1) for i, o in enumerate(ranked) if o in good), 0)
    k = len(labels) or 1
    return f"naive keyword baseline: P@5 {p5 / k:.2f}, R@5 {r5 / k:.2f}, MRR {mrr / k:.2f}"


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


# Certificate numbers of the sample's verified qualifications, by kind.
CERT_PREFIX = dict(high_tech_enterprise="GR2025440", tech_sme="2025440800", specialized_sme="ZJTX2025",
                   national_incubator="GJFHQ2025", maker_space="ZCKJ2025", key_laboratory="ZDSYS2025",
                   engineering_center="GCZX2025")
# 2025-12-01 00:00 and 2028-11-30 23:59:59.999, Beijing time (UTC+8).
CERT_VALID_FROM_MS = 1764518400000
CERT_VALID_UNTIL_MS = 1859212799999


def quals_of(o):
    return [c["qualification"] for c in o["qualification_certificates"]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"RNG seed (default {DEFAULT_SEED})")
    ap.add_argument("--out", type=Path, help="write the catalog JSONL here instead of stdout")
    ap.add_argument("--labels", type=Path, help="write the ranking labels JSONL here")
    ap.add_argument("--check", action="store_true",
                    help="validate the generated data (and the committed files, if present) and exit")
    args = ap.parse_args(argv)

    data, labels = generate(args.seed)
    if args.check:
        errors, report = check(data, labels)
        again = generate(args.seed)
        if again != (data, labels):
            errors.append("generation is not deterministic")
        if args.seed == DEFAULT_SEED:
            for path, text in ((DATA_FILE, data), (LABELS_FILE, labels)):
                if path.exists() and path.read_bytes() != text.encode("utf-8"):
                    errors.append(f"{path.name} is stale: regenerate it (see README.md)")
        for line in report:
            print(line)
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        print("check: " + ("FAILED" if errors else "OK"), file=sys.stderr if errors else sys.stdout)
        return 1 if errors else 0

    if args.out:
        args.out.write_bytes(data.encode("utf-8"))
    else:
        sys.stdout.buffer.write(data.encode("utf-8"))
        sys.stdout.flush()
    if args.labels:
        args.labels.write_bytes(labels.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
