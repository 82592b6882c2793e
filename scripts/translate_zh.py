"""Fill empty Chinese translations from TRANSLATIONS (developer tool; idempotent).

python scripts/update_catalog.py && python scripts/translate_zh.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "platform/onewindow/translations/zh/LC_MESSAGES/messages.po"

TRANSLATIONS = {
    "Organisation": "组织机构",
    "Regions": "行政区划",
    "Departments": "部门",
    "Service centres": "服务中心",
    "Zones": "服务区",
    "Windows": "窗口",
    "Department staff": "本部门人员",
    "Plugins": "插件",
    "Security": "安全",
    "Staff": "工作人员",
    "Staff member": "工作人员",
    "Add staff member": "新增工作人员",
    "Edit staff member": "编辑工作人员",
    "User info": "账号信息",
    "Personal Info": "个人信息",
    "Region": "行政区划",
    "Department": "部门",
    "Phone": "联系电话",
    "Province": "省",
    "City": "市",
    "County / district": "县/区",
    "Town / street": "乡镇/街道",
    "Village / community": "村/社区",
    "Enterprise registration": "企业登记",
    "Real-estate registration": "不动产登记",
    "Public security": "公安",
    "Construction project approval": "建设工程审批",
    "Special items": "专项办理",
    "Comprehensive acceptance": "综合受理",
    "Consultation and material guidance": "咨询与材料指导",
    "Self-service": "自助服务",
    "Comprehensive acceptance window": "综合受理窗口",
    "Specialised department window": "专业窗口",
    "Unified output window": "统一出件窗口",
    "Consultation desk": "咨询台",
    "Pre-handling window": "前置办理窗口",
    "Self-service terminal": "自助服务终端",
    "OneWindow": "一窗通",
    "One-window acceptance, integrated service: hand in once, at one window; departments approve behind the counter; one output window hands the result out.": "一窗受理、集成服务：申请材料一次提交、一窗受理，部门后台分类审批，统一窗口出件。",
    "Signed in as": "当前登录",
    "Staff sign-in": "工作人员登录",
    "Plugin key": "插件标识",
    "Version": "版本",
    "Module": "模块",
    "Status": "状态",
    "Loaded": "已加载",
    "Disabled": "已停用",
    "No plugins installed": "未安装插件",
    "Division code": "区划代码",
    "Name": "名称",
    "Level": "层级",
    "Parent region": "上级区划",
    "6 digits for province/city/county, 9 for a town, 12 for a village": "省/市/县为6位，乡镇/街道为9位，村/社区为12位",
    "Short name": "简称",
    "Unified social credit code": "统一社会信用代码",
    "Service centre": "服务中心",
    "Address": "地址",
    "Opening hours": "办公时间",
    "Zone": "服务区",
    "Zone number": "分区编号",
    "Zone kind": "服务区类型",
    "Description": "说明",
    "Window": "窗口",
    "Window number": "窗口编号",
    "Window kind": "窗口类型",
    "Departments served": "服务部门",
    "Centre approval reference": "中心批准文号",
    "In service": "在用",
    "User name": "用户名",
    "First name": "名",
    "Last name": "姓",
    "Roles": "角色",
    "Email": "电子邮箱",
    "Immediate (即办件)": "即办件",
    "Promised (承诺件)": "承诺件",
    "Joint (联办件)": "联办件",
    "Reported upwards (上报件)": "上报件",
    "Zero visits (零上门)": "零上门",
    "Done on the spot (即办)": "即办",
    "Accept at window, deliver by post (窗口受理快递送达)": "窗口受理快递送达",
    "Online pre-review (网上预审)": "网上预审",
    "Visit by appointment (预约上门)": "预约上门",
    "In force": "有效",
    "Superseded by a newer version": "已被新版本替代",
    "Cancelled": "已取消",
    "Required (必要)": "必要",
    "Optional (非必要)": "非必要",
    "Deferrable (容缺后补)": "容缺后补",
    "Original": "原件",
    "Copy": "复印件",
    "Electronic": "电子件",
    "Prepared by the applicant": "申请人自备",
    "Issued by a government department": "政府部门核发",
    "Other": "其他",
    "Sequential (串联)": "串联",
    "Parallel (并联)": "并联",
    "Text": "文本",
    "Number": "数字",
    "Date": "日期",
    "Choice": "选项",
    "Resident ID number": "公民身份号码",
    "Phone number": "电话号码",
    "Set up": "设立",
    "Changed": "变更",
    "Split": "拆分",
    "Delegated": "下放",
}


def _area_translations() -> dict[str, str]:
    """Extra msgid → Chinese pairs kept per area in scripts/zh/*.tsv (one pair per line)."""
    pairs: dict[str, str] = {}
    for tsv in sorted((Path(__file__).parent / "zh").glob("*.tsv")):
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                msgid, _, msgstr = line.partition("\t")
                pairs[msgid] = msgstr
    return pairs


def main() -> None:
    translations = {**TRANSLATIONS, **_area_translations()}
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    catalog.project, catalog.version = "OneWindow", "0.1"
    filled = 0
    for message in catalog:
        if message.id and not message.string and message.id in translations:
            message.string = translations[message.id]
            filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated: {missing or 'none'}")


if __name__ == "__main__":
    main()
