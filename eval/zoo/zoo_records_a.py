"""Zoo records, part A: hubei, sichuan_budget, yunnan_final, hunan_county.

Written for the zoo (no real form copied); words and quirks as in the real
published forms listed in eval/zoo/README.md. Each builder returns the forms of
one template; numbers that the form computes (执行率, 资金得分, 总分) are computed
here as the form would print them, except where a form is wrong on purpose (its
``notes`` say so).
"""

from __future__ import annotations

from zoo_forms import Form, Fund, Ind, fscore, grade_of, minus, num, rate, total

# ---------------------------------------------------------------- hubei


def hubei() -> list[Form]:
    forms: list[Form] = []

    def hubei_form(
        key: str,
        project: str,
        dept: str,
        unit: str,
        year: int | None,
        budget: str,
        spent: str,
        inds: list[Ind],
        checks: tuple[str, str, str],
        **kw: object,
    ) -> Form:
        r = rate(spent, budget, 0)
        f = Form(
            key=key,
            template="hubei",
            project=project,
            department=dept,
            unit=unit,
            amount_unit="万元",
            year=year,
            funding={"total": Fund(annual=budget, executed=spent, weight="20", rate=r, score=fscore("20", r, 0))},
            goals_expected=[],
            goals_actual=[],
            indicators=inds,
            extras={"checks": checks, "date": kw.pop("date", "2023年3月20日"), "deviation": kw.pop("deviation", "无")},
        )
        for k, v in kw.items():
            setattr(f, k, v)
        return f

    f = hubei_form(
        "hubei_01",
        "湖北职业技术学院2022年学生资助项目",
        "湖北省教育厅",
        "湖北职业技术学院",
        2022,
        "1,286.40",
        "1,286.40",
        [
            Ind("产出指标(40分)", "数量指标", "国家奖学金人数", "8人", "8人", score="5"),
            Ind("产出指标(40分)", "数量指标", "国家励志奖学金人数", "196人", "190人", score="4"),
            Ind("产出指标(40分)", "数量指标", "国家助学金人数", "3120人", "3098人", score="5"),
            Ind("产出指标(40分)", "数量指标", "应征入伍学费补偿人数", "45人", "52人", score="5"),
            Ind("产出指标(40分)", "质量指标", "资助对象认定准确率", "100%", "100%", score="6"),
            Ind("产出指标(40分)", "时效指标", "资助资金发放及时率", "100%", "100%", score="5"),
            Ind("产出指标(40分)", "成本指标", "国家奖学金人均资助", "8000元", "8000元", score="5"),
            Ind("产出指标(40分)", "成本指标", "国家助学金人均资助", "3300元", "3300元", score="5"),
            Ind("效益指标(30分)", "社会效益指标", "资金发放率", "100%", "100%", score="10"),
            Ind("效益指标(30分)", "社会效益指标", "家庭经济困难学生完成学业率", "≥98%", "99.2%", score="10"),
            Ind("效益指标(30分)", "可持续影响指标", "资助育人长效机制", "逐步健全", "已建立", score="10"),
            Ind("满意度指标(10分)", "服务对象满意度指标", "受助学生满意度", "≥90%", "96%", score="10"),
        ],
        ("部门预算项目", "持续性项目", "常年性项目"),
        deviation="国家励志奖学金人数未达目标:因全校总人数减少,总指标数减少,但奖励、资助比例没减少。",
    )
    f.total_score = total(f, 0)
    f.notes.append("the 偏差大或目标未完成原因分析 paragraph belongs to no row: no indicator deviation.")
    f.notes.append(
        "总分 prints a score only: total_weight null; indicator weights null (no 分值 column); "
        "funding weight 20 from the block header 预算执行情况(万元)(20分)."
    )
    forms.append(f)

    f = hubei_form(
        "hubei_02",
        "2022年市级外经贸发展专项资金",
        "孝南区商务局",
        "孝南区投资促进中心",
        2022,
        "312.60",
        "312.60",
        [
            Ind("产出指标(60分)", "数量指标", "支持外贸企业进出口额(万美元)", "18000", "19426.30", score="10"),
            Ind("产出指标(60分)", "数量指标", "新增有进出口实绩企业数", "12", "14", score="10"),
            Ind("产出指标(60分)", "数量指标", "组织企业参加境外展会次数", "5", "5", score="10"),
            Ind(
                "产出指标(60分)",
                "质量指标",
                "参展企业意向成交情况",
                "达成意向订单",
                "达成意向订单2.3亿元",
                score="10",
            ),
            Ind("产出指标(60分)", "时效指标", "预算资金执行率", "90%", "100%", score="10"),
            Ind("产出指标(60分)", "时效指标", "资金拨付及时性", "98%以上", "100%", score="10"),
            Ind(
                "效益指标(20分)",
                "社会效益指标",
                "带动全区外贸进出口增长",
                "外贸进出口总额同比增长",
                "外贸进出口总额同比增长8.6%,高于全市平均水平",
                score="10",
            ),
            Ind(
                "效益指标(20分)",
                "可持续影响指标",
                "推动企业开拓国际市场方面发挥的作用",
                "是否利于企业开拓市场",
                "有利于推动企业开拓国际市场",
                score="10",
            ),
        ],
        ("部门预算项目", "新增性项目", "一次性项目"),
        date="2023年4月22日",
    )
    f.total_score = total(f, 0)
    forms.append(f)

    f = hubei_form(
        "hubei_03",
        "乡镇综合文化站免费开放补助",
        "县文化和旅游局",
        "县文化馆",
        2022,
        "36.00",
        "33.12",
        [
            Ind("产出指标(50分)", "数量指标", "免费开放文化站数量", "12个", "12个", score="15"),
            Ind("产出指标(50分)", "数量指标", "年度开展群众文化活动场次", "≥96场", "104场", score="15"),
            Ind("产出指标(50分)", "时效指标", "补助资金拨付时间", "10月底前", "11月", score="8"),
            Ind("产出指标(50分)", "成本指标", "每站年度补助标准", "3万元", "3万元", score="10"),
            Ind("效益指标(20分)", "社会效益指标", "群众文化参与人次", "≥2.5万人次", "2.8万人次", score="20"),
            Ind("满意度指标(10分)", "服务对象满意度指标", "群众满意度", "≥90%", "93%", score="10"),
        ],
        ("省对下转移支付项目", "持续性项目", "延续性项目"),
        deviation="第二批资金到位较晚,拨付延后。",
    )
    f.total_score = total(f, 0)
    forms.append(f)

    f = hubei_form(
        "hubei_04",
        "农村公路养护工程补助资金",
        "县交通运输局",
        "县公路管理局",
        2022,
        "540.00",
        "540.00",
        [
            Ind("产出指标(50分)", "数量指标", "养护农村公路里程", "≥860公里", "872公里", score="20"),
            Ind("产出指标(50分)", "质量指标", "优良中等路率", "≥80%", "83.5%", score="15"),
            Ind("产出指标(50分)", "时效指标", "年度养护任务完成时间", "12月底前", "12月完成", score="15"),
            Ind("效益指标(20分)", "社会效益指标", "农村群众出行条件改善", "明显改善", "明显改善", score="20"),
            Ind("满意度指标(10分)", "服务对象满意度指标", "沿线群众满意度", "≥90%", "95%", score="10"),
        ],
        ("省对下转移支付项目", "持续性项目", "常年性项目"),
    )
    # wrong on purpose: the office added the scores as 90 (funding 20 + 80)
    f.total_score = "90"
    f.notes.append("printed 总分 90 does not add up (20 + 80 = 100): kept as printed; the checks report it.")
    forms.append(f)

    f = hubei_form(
        "hubei_05",
        "城区生活垃圾分类宣传推广及智能回收设施运维服务采购项目",
        "市城市管理执法委员会",
        "市环境卫生管理处",
        None,
        "128.50",
        "119.31",
        [
            Ind("产出指标(50分)", "数量指标", "新建智能回收箱房点位", "40个", "40个", score="25"),
            Ind("产出指标(50分)", "质量指标", "设施完好率", "≥95%", "97%", score="25"),
            Ind("效益指标(20分)", "生态效益指标", "生活垃圾回收利用率", "≥35%", "37.2%", score="20"),
            Ind("满意度指标(10分)", "服务对象满意度指标", "居民满意度", "≥85%", "88%", score="10"),
        ],
        ("部门预算项目", "新增性项目", "一次性项目"),
    )
    f.total_score = total(f, 0)
    f.notes.append("no year printed: the title is 项目自评表 without a year.")
    forms.append(f)
    return forms


# ---------------------------------------------------------------- sichuan_budget


def sichuan_budget() -> list[Form]:
    forms: list[Form] = []

    def sc_form(
        key: str,
        code_name: str,
        dept: str,
        unit: str,
        initial: str,
        adjusted: str,
        spent: str,
        inds: list[Ind],
        goal: str,
        done: str,
        scored: bool,
        other: tuple[str, str, str] | None = None,
        content: str = "",
    ) -> Form:
        r = rate(spent, adjusted)
        o_init, o_adj, o_spent = other or ("0.00", "0.00", "0.00")
        fiscal_init, fiscal_adj, fiscal_spent = minus(initial, o_init), minus(adjusted, o_adj), minus(spent, o_spent)
        f = Form(
            key=key,
            template="sichuan_budget",
            project=code_name,
            department=dept,
            unit=unit,
            amount_unit="万元",
            year=2023,
            funding={
                "total": Fund(initial, adjusted, spent, "10", r, fscore("10", r) if scored else None),
                "current_year": Fund(
                    fiscal_init,
                    fiscal_adj,
                    fiscal_spent,
                    "/",
                    rate(fiscal_spent, fiscal_adj) if num(fiscal_adj) else "0.00%",
                    "/",
                ),
                "other": Fund(o_init, o_adj, o_spent, "/", rate(o_spent, o_adj) if num(o_adj) else "0.00%", "/"),
            },
            goals_expected=[goal],
            goals_actual=[done],
            indicators=inds,
            total_weight="100",
            extras={"content": content, "scored": scored},
        )
        if scored:
            f.total_score = total(f)
        f.notes.append(
            "funding.other is the 财政专户管理资金 row, the first of the three 'other' rows "
            "(财政专户管理资金, 单位资金, 其他资金); the 单位资金 row prints zeros and 其他资金 is blank."
        )
        f.notes.append("goal_expected / goal_actual: 项目年度目标 / 年度目标完成情况 under 项目基本情况.")
        return f

    f = sc_form(
        "sichuan_budget_01",
        "51142521R000000020417-工资性支出",
        "青神县统计局本级",
        "青神县统计局",
        "186.40",
        "197.25",
        "197.25",
        [
            Ind("产出指标", "数量指标", "发放(缴纳)覆盖率", ("=", "100", "%"), "100%", "60", "60"),
            Ind("效益指标", "社会效益指标", "足额保障率(参保率)", ("=", "100", "%"), "100%", "30", "30"),
        ],
        "保障在职人员工资按时足额发放,社会保险费和住房公积金按时足额缴纳,预算编制科学合理。",
        "全年工资及社保缴费按时足额发放缴纳,未产生结余资金。",
        True,
        content="按月发放在职人员工资,按时缴纳社会保险费和住房公积金。",
    )
    forms.append(f)

    f = sc_form(
        "sichuan_budget_02",
        "51142523T000010388126-2023年档案数字化加工项目",
        "青神县档案馆部门",
        "青神县档案馆",
        "0.00",
        "8.64",
        "8.64",
        [
            Ind("产出指标", "质量指标", "完成档案数字化加工并通过验收", ("=", "100", "%"), None, "90"),
        ],
        "完成馆藏档案数字化加工,并按合同支付项目资金。",
        "完成",
        False,
        content="2023年完成馆藏文书档案数字化加工4.2万页,于12月前完成资金支付。",
    )
    f.notes.append("published unscored: 完成值 and 得分 blank, 合计 prints 权重 100 only.")
    forms.append(f)

    f = sc_form(
        "sichuan_budget_03",
        "51142521R000000031122-乡村振兴衔接资金项目管理费",
        "青神县农业农村局",
        "青神县乡村振兴服务中心",
        "45.00",
        "52.60",
        "49.97",
        [
            Ind("产出指标", "数量指标", "项目实地督导检查次数", ("≥", "24", "次"), "26次", "15", "15"),
            Ind("产出指标", "数量指标", "培训基层干部人次", ("≥", "300", "人次"), "342人次", "10", "10"),
            Ind("产出指标", "质量指标", "项目档案资料规范率", ("≥", "95", "%"), "98%", "15", "15"),
            Ind("产出指标", "时效指标", "项目管理费支付及时率", ("=", "100", "%"), "100%", "10", "10"),
            Ind("产出指标", "成本指标", "项目管理费占衔接资金比例", ("≤", "1", "%"), "0.92%", "10", "10"),
            Ind(
                "效益指标",
                "社会效益指标",
                "衔接资金项目按期完工率",
                ("≥", "90", "%"),
                "87%",
                "15",
                "13",
                "2个项目受雨季影响延期,已督促2024年一季度完工",
            ),
            Ind("满意度指标", "服务对象满意度指标", "项目村群众满意度", ("≥", "90", "%"), "94%", "15", "15"),
        ],
        "加强衔接资金项目全过程管理,开展项目督导、业务培训和档案管理,保障项目按期完工并发挥效益。",
        "全年开展实地督导26次,培训基层干部342人次,项目档案规范率98%,2个项目延期完工。",
        True,
        other=("5.00", "5.00", "4.97"),
    )
    # the only form whose 'other' rows differ: a reader that files the 单位资金 row
    # (all zeros) as funding.other is reading the form too
    f.alternatives = {
        f"funding.other.{k}": [v]
        for k, v in {
            "initial_budget": "0.00",
            "annual_budget": "0.00",
            "executed": "0.00",
            "execution_rate": "0.00",
        }.items()
    }
    forms.append(f)

    f = sc_form(
        "sichuan_budget_04",
        "51142521T000000045673-城乡环境综合治理专项经费",
        "青神县住房和城乡建设局",
        "青神县环境卫生服务中心",
        "120.00",
        "120.00",
        "108.60",
        [
            Ind("产出指标", "数量指标", "城区道路清扫保洁面积", ("≥", "185", "万平方米"), "188万平方米", "20", "20"),
            Ind("产出指标", "数量指标", "垃圾清运量", ("≥", "2.6", "万吨"), "2.7万吨", "15", "15"),
            Ind("产出指标", "质量指标", "生活垃圾无害化处理率", ("=", "100", "%"), "100%", "15", "15"),
            Ind("产出指标", "时效指标", "垃圾日产日清率", ("=", "100", "%"), "100%", "10", "10"),
            Ind("效益指标", "生态效益指标", "城区环境卫生状况", ("定性", "明显改善", ""), "明显改善", "20", "20"),
            Ind("满意度指标", "服务对象满意度指标", "城区居民满意度", ("≥", "90", "%"), "92%", "10", "10"),
        ],
        "保障城区环境卫生,实现生活垃圾日产日清,无害化处理率100%。",
        "完成全年城区清扫保洁和垃圾清运任务,城区环境明显改善。",
        True,
    )
    # wrong on purpose: the office rounded 合计 up to 100 where 9.05 + 90 = 99.05
    f.total_score = "100"
    f.notes.append("合计 得分 printed 100 does not add up (9.05 + 90 = 99.05): kept as printed.")
    forms.append(f)

    f = sc_form(
        "sichuan_budget_05",
        "51142521R000000027781-公共法律服务体系建设及人民调解员以案定补经费",
        "青神县司法局",
        "青神县公共法律服务中心",
        "18.00",
        "21.50",
        "21.50",
        [
            Ind("产出指标", "数量指标", "人民调解案件数量", ("≥", "600", "件"), None, "30"),
            Ind("产出指标", "质量指标", "调解成功率", ("≥", "95", "%"), None, "30"),
            Ind("效益指标", "社会效益指标", "矛盾纠纷就地化解率", ("≥", "90", "%"), None, "20"),
            Ind("满意度指标", "服务对象满意度指标", "当事人满意度", ("≥", "90", "%"), None, "10"),
        ],
        "落实人民调解员以案定补政策,推进公共法律服务实体平台建设。",
        "已完成年度目标。",
        False,
    )
    f.notes.append("published unscored: 完成值 and 得分 blank.")
    forms.append(f)
    return forms


# ---------------------------------------------------------------- yunnan_final


def yunnan_final() -> list[Form]:
    forms: list[Form] = []

    def yn_form(
        key: str,
        project: str,
        dept: str,
        unit: str,
        initial: str,
        annual: str,
        spent: str,
        inds: list[Ind],
        goal: str,
        done: str,
        carry: tuple[str, str, str] | None = ("0.00", "0.00", "0.00"),
        year: int | None = 2023,
    ) -> Form:
        r = rate(spent, annual)
        c_init, c_ann, c_spent = carry or ("0.00", "0.00", "0.00")
        funding = {
            "total": Fund(initial, annual, spent, "10", r, fscore("10", r)),
            "current_year": Fund(minus(initial, c_init), minus(annual, c_ann), minus(spent, c_spent), "—", "—", "—"),
            "other": Fund("0.00", "0.00", "0.00", "—", "—", "—"),
        }
        if carry is not None:
            funding["carryover"] = Fund(c_init, c_ann, c_spent, "—", "—", "—")
        f = Form(
            key=key,
            template="yunnan_final",
            project=project,
            department=dept,
            unit=unit,
            amount_unit="万元",
            year=year,
            funding=funding,
            goals_expected=[goal],
            goals_actual=[done],
            indicators=inds,
            total_weight="100",
        )
        f.total_score = total(f)
        f.grade = grade_of(f.total_score)
        f.notes.append("target = 指标性质 + 指标值 + 度量单位 joined as printed; 评分等级 printed on the 总分 row.")
        return f

    forms.append(
        yn_form(
            "yunnan_final_01",
            "城乡居民基本医疗保险财政补助资金",
            "昆明市盘龙区医疗保障局",
            "昆明市盘龙区医疗保障局",
            "4,215.60",
            "4,388.20",
            "4,371.93",
            [
                Ind("产出指标", "数量指标", "城乡居民医保参保人数", ("≧", "30.5", "万人"), "31.2万人", "10", "10"),
                Ind("产出指标", "数量指标", "财政补助资金到位人次", ("≧", "735", "人次"), "812人次", "5", "5"),
                Ind("产出指标", "质量指标", "参保率", ("≧", "95", "%"), "96.8%", "10", "10"),
                Ind("产出指标", "质量指标", "政策范围内住院费用报销比例", ("≧", "70", "%"), "71.3%", "5", "5"),
                Ind("产出指标", "时效指标", "财政补助资金拨付及时率", ("═", "100", "%"), "100%", "10", "10"),
                Ind("产出指标", "成本指标", "人均财政补助标准", ("═", "610", "元/人"), "610元/人", "10", "10"),
                Ind(
                    "效益指标",
                    "社会效益指标",
                    "参保群众看病就医负担",
                    ("定性", "有所减轻", ""),
                    "有所减轻",
                    "10",
                    "9",
                    "门诊慢特病待遇落实仍需加强",
                ),
                Ind("效益指标", "社会效益指标", "困难群众医疗救助覆盖率", ("═", "100", "%"), "100%", "10", "10"),
                Ind("效益指标", "可持续影响指标", "医保基金运行", ("定性", "平稳可持续", ""), "平稳", "10", "10"),
                Ind("满意度指标", "服务对象满意度指标", "参保群众满意度", ("≧", "90", "%"), "93.5%", "10", "10"),
            ],
            "按时足额落实城乡居民医保财政补助,参保率稳定在95%以上,减轻参保群众医疗费用负担。",
            "全年参保31.2万人,参保率96.8%,财政补助资金全部拨付到位,基金运行平稳。",
            carry=("0.00", "172.60", "172.60"),
        )
    )
    forms.append(
        yn_form(
            "yunnan_final_02",
            "洱海保护治理及流域转型发展专项经费",
            "大理白族自治州洱海保护管理局",
            "大理市洱海流域保护治理中心",
            "2,860.00",
            "2,860.00",
            "2,704.52",
            [
                Ind("产出指标", "数量指标", "入湖河道水质监测断面数", ("≧", "34", "个"), "34个", "15", "15"),
                Ind("产出指标", "数量指标", "湖滨缓冲带生态修复面积", ("≧", "120", "亩"), "126亩", "10", "10"),
                Ind("产出指标", "质量指标", "洱海全湖水质类别", ("≦", "Ⅲ", "类"), "Ⅱ类(6个月)", "15", "15"),
                Ind("产出指标", "时效指标", "治理项目按期完成率", ("≧", "90", "%"), "92%", "10", "10"),
                Ind("效益指标", "生态效益指标", "主要入湖河流水质达标率", ("≧", "85", "%"), "88.2%", "20", "20"),
                Ind("满意度指标", "服务对象满意度指标", "流域群众满意度", ("≧", "90", "%"), "95%", "20", "20"),
            ],
            "持续推进洱海保护治理,保持全湖水质稳定在Ⅲ类及以上,完成湖滨缓冲带生态修复。",
            "全湖水质6个月Ⅱ类、6个月Ⅲ类,完成缓冲带修复126亩。",
        )
    )
    forms.append(
        yn_form(
            "yunnan_final_03",
            "农村义务教育学生营养改善计划",
            "曲靖市麒麟区教育体育局",
            "曲靖市麒麟区教育体育局",
            "1,932.00",
            "1,932.00",
            "1,932.00",
            [
                Ind("产出指标", "数量指标", "受益学生人数", ("≧", "38640", "人"), "38725人", "20", "20"),
                Ind("产出指标", "成本指标", "膳食补助标准", ("═", "5", "元/生·天"), "5元/生·天", "20", "20"),
                Ind("效益指标", "社会效益指标", "学生营养健康状况", ("定性", "逐步改善", ""), "逐步改善", "20", "20"),
                Ind("满意度指标", "服务对象满意度指标", "学生及家长满意度", ("≧", "90", "%"), "96%", "30", "30"),
            ],
            "为农村义务教育阶段学生提供营养膳食补助,改善学生营养健康状况。",
            "全年受益学生38725人,补助全部落实。",
            carry=None,
        )
    )
    forms[-1].notes.append("no 上年结转 row printed: funding.carryover null.")
    forms.append(
        yn_form(
            "yunnan_final_04",
            "农村危房改造补助资金",
            "曲靖市麒麟区住房和城乡建设局",
            "曲靖市麒麟区住房和城乡建设局",
            "650.00",
            "712.40",
            "698.15",
            [
                Ind("产出指标", "数量指标", "农村危房改造户数", ("≧", "356", "户"), "356户", "20", "20"),
                Ind("产出指标", "质量指标", "竣工验收合格率", ("═", "100", "%"), "100%", "20", "20"),
                Ind("产出指标", "时效指标", "年度任务竣工率", ("≧", "95", "%"), "97%", "10", "10"),
                Ind(
                    "效益指标",
                    "社会效益指标",
                    "农村低收入群体住房安全保障",
                    ("定性", "有效保障", ""),
                    "有效保障",
                    "20",
                    "20",
                ),
                Ind("满意度指标", "服务对象满意度指标", "改造户满意度", ("≧", "95", "%"), "98%", "20", "20"),
            ],
            "完成356户农村危房改造,保障农村低收入群体住房安全。",
            "356户全部开工,竣工验收合格率100%。",
            carry=("0.00", "62.40", "62.40"),
        )
    )
    f = yn_form(
        "yunnan_final_05",
        "机关食堂运转经费",
        "曲靖市麒麟区档案馆",
        "曲靖市麒麟区档案馆",
        "12.00",
        "12.00",
        "11.40",
        [
            Ind("产出指标", "数量指标", "保障就餐人数", ("≧", "60", "人"), "62人", "40", "40"),
            Ind("效益指标", "社会效益指标", "保障单位正常运转", ("定性", "正常运转", ""), "正常运转", "30", "30"),
            Ind("满意度指标", "服务对象满意度指标", "职工满意度", ("≧", "90", "%"), "92%", "20", "20"),
        ],
        "保障机关食堂正常运转。",
        "食堂全年正常运转。",
        carry=None,
        year=None,
    )
    # wrong on purpose: 总分 得分 printed 98 where 9.50 + 90 = 99.50
    f.total_score = "98"
    f.grade = "优"
    f.notes.append("printed 总分 得分 98 does not add up (9.50 + 90 = 99.50): kept as printed.")
    f.notes.append("no year printed anywhere on the sheet.")
    forms.append(f)
    return forms


# ---------------------------------------------------------------- hunan_county


def hunan_county() -> list[Form]:
    forms: list[Form] = []

    def hn_form(
        key: str,
        project: str,
        dept: str,
        unit: str,
        budget: str,
        spent: str,
        inds: list[Ind],
        goal: str,
        done: str,
        year: int | None = 2020,
        other: tuple[str, str] | None = None,
        leader: str = "",
    ) -> Form:
        o_b, o_s = other or ("", "")
        sub_b, sub_s = minus(budget, o_b or "0"), minus(spent, o_s or "0")
        funding = {
            "total": Fund(annual=budget, executed=spent, rate=rate(spent, budget, 0)),
            "current_year": Fund(annual=sub_b, executed=sub_s, rate=rate(sub_s, sub_b, 0)),
            "other": Fund(annual=o_b or None, executed=o_s or None, rate=rate(o_s, o_b, 0) if o_b else None),
        }
        f = Form(
            key=key,
            template="hunan_county",
            project=project,
            department=dept,
            unit=unit,
            amount_unit="万元",
            year=year,
            funding=funding,
            goals_expected=[goal],
            goals_actual=[done],
            indicators=inds,
            extras={"leader": leader},
        )
        f.notes.append("unscored template: no 分值, 得分 or 总分; weights, scores and totals null.")
        return f

    forms.append(
        hn_form(
            "hunan_county_01",
            "县级储备粮油",
            "衡山县发展和改革局",
            "粮食储备与物资调控股",
            "236.5",
            "236.5",
            [
                Ind("产出指标", "数量指标", "6000吨稻谷、300吨食用油储备到位率", "100%", "100%"),
                Ind("产出指标", "数量指标", "库存数量真实率", "100%", "100%"),
                Ind("产出指标", "质量指标", "县级储备粮管理制度严格执行率", "100%", "100%"),
                Ind("产出指标", "质量指标", "储备粮管理专户管理率", "100%", "100%"),
                Ind("产出指标", "质量指标", "县级储备粮库存粮食明显变质比例", "0", "0"),
                Ind("产出指标", "时效指标", "县级储备粮贷款付息及时率", "100%", "100%"),
                Ind("产出指标", "时效指标", "县级储备粮应急保障率", "100%", "100%"),
                Ind("产出指标", "成本指标", "国家政策性粮收购价格执行率", "100%", "100%"),
                Ind("产出指标", "成本指标", "县级储备粮库存成本核算率", "100%", "100%"),
                Ind("效益指标", "经济效益指标", "利息费用保障率", "100%", "100%"),
                Ind("效益指标", "经济效益指标", "政策性挂账利息补贴保障率", "100%", "无", dev="没有轮换、动用库存"),
                Ind("效益指标", "生态效益指标", "低温、低氧、低剂量科学保粮率", "100%", "100%"),
                Ind("效益指标", "生态效益指标", "食品安全指标达标率", "100%", "100%"),
                Ind("效益指标", "可持续影响指标", "粮食储备设备维护及安全性", "高", "高"),
                Ind("满意度指标", "服务对象满意度指标", "因粮食市场波动引起的粮食安全事件发生数", "0起", "0起"),
                Ind("满意度指标", "服务对象满意度指标", "市民满意度调查", "≥90%", "100%"),
            ],
            "落实地方粮油储备规模,保持地方储备机制稳定",
            "地方储备粮油规模全部达标",
            leader="王志刚、刘红",
        )
    )
    forms.append(
        hn_form(
            "hunan_county_02",
            "农村饮水安全巩固提升工程",
            "衡山县水利局",
            "县农村饮水安全工程管理站",
            "320.00",
            "298.40",
            [
                Ind("产出指标", "数量指标", "新建及改造集中供水工程处数", "12处", "12处"),
                Ind("产出指标", "数量指标", "受益人口", "2.1万人", "2.16万人"),
                Ind("产出指标", "质量指标", "工程验收合格率", "100%", "100%"),
                Ind(
                    "产出指标",
                    "时效指标",
                    "工程完工时间",
                    "2020年11月底",
                    "2020年12月",
                    dev="受汛期影响工期推迟,已于12月完工",
                ),
                Ind("效益指标", "社会效益指标", "农村自来水普及率", "≥85%", "87%"),
                Ind("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%", "94%"),
            ],
            "巩固提升农村饮水安全水平,新建改造集中供水工程12处,受益人口2.1万人。",
            "完成12处工程建设,受益人口2.16万人,农村自来水普及率达87%。",
            other=("40.00", "38.40"),
            leader="李建国 0734-5821166",
        )
    )
    forms.append(
        hn_form(
            "hunan_county_03",
            "城乡居民最低生活保障县级配套资金",
            "衡山县民政局",
            "县社会救助服务中心",
            "856",
            "856",
            [
                Ind("产出指标", "数量指标", "保障城乡低保对象人数", "≥9800人", "9876人"),
                Ind("产出指标", "质量指标", "低保对象认定准确率", "≥98%", "99%"),
                Ind("产出指标", "时效指标", "低保金按月发放率", "100%", "100%"),
                Ind("效益指标", "社会效益指标", "困难群众基本生活", "得到保障", "得到保障"),
                Ind("满意度指标", "服务对象满意度指标", "低保对象满意度", "≥90%", "95%"),
            ],
            "足额配套县级低保资金,按时发放低保金,保障困难群众基本生活。",
            "全年按月足额发放低保金,保障9876人基本生活。",
            year=2021,
        )
    )
    forms.append(
        hn_form(
            "hunan_county_04",
            "中小学校舍维修改造",
            "衡山县教育局",
            "县教育基建站",
            "150.00",
            "150.00",
            [
                Ind("产出指标", "数量指标", "维修改造校舍面积", "≥6000平方米", "6240平方米"),
                Ind("产出指标", "质量指标", "工程质量验收合格率", "100%", "100%"),
                Ind("效益指标", "社会效益指标", "消除校舍安全隐患", "有效消除", "有效消除"),
                Ind("满意度指标", "服务对象满意度指标", "师生满意度", "≥90%", "96%"),
            ],
            "完成6所学校校舍维修改造,消除安全隐患。",
            "6所学校维修改造全部完工并验收合格。",
            year=2021,
            leader="周立新",
        )
    )
    forms.append(
        hn_form(
            "hunan_county_05",
            "基层公共文化服务体系建设和农家书屋出版物补充更新及乡镇综合文化站免费开放专项资金",
            "衡山县文化旅游广电体育局",
            "县图书馆",
            "48.6",
            "45.2",
            [
                Ind("产出指标", "数量指标", "农家书屋出版物补充更新数量", "≥7000册", "7150册"),
                Ind("产出指标", "数量指标", "送戏下乡场次", "≥60场", "56场", dev="疫情期间暂停演出4场,2021年补演"),
                Ind("效益指标", "社会效益指标", "群众文化生活", "不断丰富", "不断丰富"),
                Ind("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "92%"),
            ],
            "补充更新农家书屋出版物,开展送戏下乡,乡镇综合文化站免费开放,丰富群众文化生活,提升基层公共文化服务水平。",
            "补充出版物7150册,送戏下乡56场,17个乡镇综合文化站全部免费开放。",
            year=None,
        )
    )
    forms[-1].notes.append("no year printed: the title is 县级专项资金绩效目标自评表 without a year.")
    return forms
