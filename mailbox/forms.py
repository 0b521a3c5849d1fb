from django import forms

from sunshine.directory.models import District, School
from sunshine_mailbox import conf
from sunshine_mailbox.models import Category, GradeBand, Outcome


def _body_field(label):
    limit = conf.get("MAILBOX_MAX_LETTER_CHARS")
    return forms.CharField(
        label=label,
        max_length=limit,
        min_length=2,
        widget=forms.Textarea(attrs={"rows": 9, "maxlength": limit}),
        error_messages={
            "required": "请写下你想说的话。",
            "min_length": "再多写几个字吧。",
            "max_length": f"信太长了，最多 {limit} 个字。可以分成几次写。",
        },
    )


class LetterForm(forms.Form):
    body = _body_field("想说的话")
    grade_band = forms.ChoiceField(
        label="你在读（可不选）",
        choices=[("", "不选")] + list(GradeBand.choices),
        required=False,
    )
    # Filled in by the page from this device's share link or picker (localStorage), if any.
    district = forms.CharField(required=False, widget=forms.HiddenInput, max_length=6)
    school = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)

    def place(self):
        """(school, district) the device said, ignoring codes that do not exist."""
        school = (
            School.objects.select_related("district")
            .filter(code=self.cleaned_data.get("school") or "")
            .first()
        )
        district = (
            school.district
            if school
            else District.objects.filter(code=self.cleaned_data.get("district") or "").first()
        )
        return school, district


class TeacherLetterForm(forms.Form):
    body = _body_field("想说的话")


class CodeForm(forms.Form):
    code = forms.CharField(
        label="回信码",
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "例如 7K3M-Q9XR-2PWD-HNC4",
            }
        ),
        error_messages={"required": "请输入回信码。"},
    )


class FollowUpForm(CodeForm):
    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    body = _body_field("继续写")


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="答复",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "请填写答复内容。"},
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="结束结果", choices=Outcome.choices)


class CategoryForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=[("", "未分类")] + list(Category.choices))


class HandoverForm(forms.Form):
    to_user = forms.ModelChoiceField(label="转交给", queryset=None, empty_label="请选择同事")

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = colleagues
        self.fields["to_user"].label_from_instance = lambda u: u.get_full_name() or u.username
