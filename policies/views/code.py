"""Policy as code in the browser: download the YAML, upload one with a preview."""

import hashlib

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import FormView, View

from fwconsole.roles import Role, RoleRequiredMixin
from policies.ascode import export_text, import_text
from policies.forms import PolicyImportForm

SESSION_KEY = "policies:pending_import"


class PolicyExportView(RoleRequiredMixin, View):
    required_role = Role.VIEWER

    def get(self, request):
        response = HttpResponse(
            export_text(), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="fwconsole-policy.yaml"'
        return response


class PolicyImportView(RoleRequiredMixin, FormView):
    """Upload a policy file, see every problem or the planned changes, apply.

    The uploaded text waits in the session between the preview and the apply;
    the apply names its digest so that the file previewed is the file applied.
    """

    required_role = Role.EDITOR
    form_class = PolicyImportForm
    template_name = "policies/policy_import.html"

    def post(self, request, *args, **kwargs):
        if "apply" in request.POST:
            return self.apply(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        text = form.cleaned_data["file"]
        report = import_text(text, apply=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if report.ok:
            self.request.session[SESSION_KEY] = {"digest": digest, "text": text}
        return self.render_to_response(
            self.get_context_data(form=form, report=report, digest=digest)
        )

    def apply(self, request):
        pending = request.session.get(SESSION_KEY)
        if not pending or pending["digest"] != request.POST.get("digest"):
            messages.error(request, "Upload the file again: the preview has expired.")
            return HttpResponseRedirect(reverse("policies:policy_import"))
        report = import_text(pending["text"], apply=True)
        del request.session[SESSION_KEY]
        if not report.ok:
            return self.render_to_response(
                self.get_context_data(form=self.get_form_class()(), report=report)
            )
        messages.success(
            request, f"Imported the policy set: {len(report.changes)} changes."
        )
        return HttpResponseRedirect(reverse("policies:index"))
