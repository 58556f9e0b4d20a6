"""Validators for identifiers and uploads that several models and forms share."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# GB 32100-2015: 31 characters (no I, O, S, V, Z); weights are 3**i mod 31.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# Registration authority (first character) → allowed organisation-category characters.
CREDIT_CODE_AUTHORITIES = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "12349",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位/社会服务机构, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "123459",  # 农业
    "Y": "1",  # 其他
}


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Raise a ValidationError naming exactly what is wrong with a 统一社会信用代码."""
    if len(value) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(length)d位。"),
            code="credit_code_length",
            params={"length": len(value)},
        )
    bad = sorted({char for char in value if char not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            _(
                "统一社会信用代码含有不允许的字符：%(chars)s（只能使用数字和除 I、O、S、V、Z 以外的大写字母）。"
            ),
            code="credit_code_chars",
            params={"chars": "、".join(bad)},
        )
    authority, category = value[0], value[1]
    if authority not in CREDIT_CODE_AUTHORITIES:
        raise ValidationError(
            _("第1位登记管理部门代码“%(char)s”无效。"),
            code="credit_code_authority",
            params={"char": authority},
        )
    if category not in CREDIT_CODE_AUTHORITIES[authority]:
        raise ValidationError(
            _("第2位机构类别代码“%(char)s”与登记管理部门代码“%(authority)s”不匹配。"),
            code="credit_code_category",
            params={"char": category, "authority": authority},
        )
    if not value[2:8].isdigit():
        raise ValidationError(
            _("第3至8位应为行政区划代码（6位数字），当前为“%(part)s”。"),
            code="credit_code_region",
            params={"part": value[2:8]},
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("校验码错误：第18位应为“%(expected)s”，当前为“%(actual)s”。请核对代码是否抄错。"),
            code="credit_code_checksum",
            params={"expected": expected, "actual": value[17]},
        )


def validate_logo(upload) -> None:
    """Accept only JPEG/PNG/WebP images up to LOGO_MAX_BYTES, judged by content."""
    if upload.size > settings.LOGO_MAX_BYTES:
        raise ValidationError(
            _("图片不能超过 %(limit)s，当前为 %(size)s。"),
            code="logo_too_large",
            params={
                "limit": filesizeformat(settings.LOGO_MAX_BYTES),
                "size": filesizeformat(upload.size),
            },
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError(
            _("文件不是有效的图片，请上传 JPEG、PNG 或 WebP 格式。"), code="logo_invalid"
        ) from error
    finally:
        upload.seek(0)
    if image_format not in settings.LOGO_FORMATS:
        raise ValidationError(
            _("不支持 %(format)s 格式，请上传 JPEG、PNG 或 WebP 格式。"),
            code="logo_format",
            params={"format": image_format},
        )


ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_make(prefix: str, region_code: str, serial: int) -> str:
    """Build a well-formed credit code (demo data, benchmarks, tests): prefix + region +
    a GB 11714 organisation code numbered `serial`, closed by the GB 32100 check character."""
    body = f"{serial:08d}"
    total = sum(
        int(char) * weight for char, weight in zip(body, ORGANISATION_CODE_WEIGHTS, strict=True)
    )
    org_check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    first17 = f"{prefix}{region_code}{body}{org_check}"
    return first17 + credit_code_check_char(first17)


def validate_document(upload) -> str:
    """Accept a tender or bid document up to DOCUMENT_MAX_BYTES whose extension is allowed
    and whose first bytes match it; return the extension."""
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("文件“%(name)s”超过 %(limit)s（当前为 %(size)s）。"),
            code="document_too_large",
            params={
                "name": upload.name,
                "limit": filesizeformat(settings.DOCUMENT_MAX_BYTES),
                "size": filesizeformat(upload.size),
            },
        )
    if upload.size == 0:
        raise ValidationError(
            _("文件“%(name)s”是空文件。"), code="document_empty", params={"name": upload.name}
        )
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    allowed = settings.DOCUMENT_TYPES
    if extension not in allowed:
        raise ValidationError(
            _("不支持“%(name)s”的文件类型，请上传 %(types)s 格式。"),
            code="document_type",
            params={"name": upload.name, "types": "、".join(sorted(allowed))},
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(allowed[extension]):
        raise ValidationError(
            _("文件“%(name)s”的内容与扩展名 .%(ext)s 不符，请确认文件未损坏或改名。"),
            code="document_content",
            params={"name": upload.name, "ext": extension},
        )
    return extension
