from django import forms

from policies.models import RiskThresholds


class RiskThresholdsForm(forms.ModelForm):
    class Meta:
        model = RiskThresholds
        fields = ["broad_group_size", "inactive_days"]
