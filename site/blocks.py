"""StreamField blocks shared by every page type."""

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(label="标题", required=False)
    text = blocks.RichTextBlock(label="内容", features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "warning"
        label = "提示框"
        template = "blocks/callout.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label="小标题", form_classname="title", template="blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(
        label="段落", features=["bold", "italic", "link", "ul", "ol", "h3", "h4"]
    )
    image = ImageBlock(label="图片")
    quote = blocks.BlockQuoteBlock(label="引用")
    callout = CalloutBlock()
    document = DocumentChooserBlock(label="文档", template="blocks/document.html")

    class Meta:
        label = "正文"
