"""StreamField blocks shared by the content pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class PhotoBlock(blocks.StructBlock):
    """A photo with the alternative text readers of screen readers get (required)."""

    image = ImageChooserBlock(label=_("图片"))
    alt = blocks.CharBlock(
        label=_("替代文字"), max_length=200, help_text=_("为视障读者描述图片内容。")
    )
    caption = blocks.CharBlock(label=_("图注"), required=False, max_length=200)

    class Meta:
        icon = "image"
        template = "cms/blocks/photo.html"


def body_blocks():
    return [
        ("heading", blocks.CharBlock(label=_("小标题"))),
        ("paragraph", blocks.RichTextBlock(label=_("段落"))),
        ("photo", PhotoBlock(label=_("图片"))),
        ("quote", blocks.BlockQuoteBlock(label=_("引语"))),
    ]
