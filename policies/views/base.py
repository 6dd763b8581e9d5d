"""Building blocks of the policy pages: lists, forms that save through the
services, and delete confirmations."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.views.generic import CreateView, DeleteView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from fwconsole.roles import Role, RoleRequiredMixin
from policies import services

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


class ObjectListView(RoleRequiredMixin, SingleTableMixin, FilterView):
    """A sortable, filtered, paginated list of one model.

    Subclasses name the selector that shapes the rows (``queryset_function``).
    """

    required_role = Role.VIEWER
    paginate_by = PAGE_SIZE
    title = ""
    create_url_name = ""

    def queryset_function(self):
        raise NotImplementedError("A list view names its selector.")

    def get_queryset(self):
        return self.queryset_function()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["create_url_name"] = self.create_url_name
        return context


class ServiceFormMixin(RoleRequiredMixin):
    """Create or edit through the form's save(), which calls a service.

    The save runs in one transaction: a ValidationError from the service lands
    on the form's fields and nothing is kept.
    """

    required_role = Role.EDITOR
    error_field = None

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.save(form)
        except ValidationError as error:
            form.add_service_errors(error, self.error_field)
            return self.form_invalid(form)
        logger.info(
            "%s saved %s %s",
            self.request.user,
            self.object._meta.model_name,
            self.object.pk,
        )
        messages.success(self.request, f"Saved {self.object}.")
        return HttpResponseRedirect(self.get_success_url())

    def save(self, form):
        return form.save()


class ObjectCreateView(ServiceFormMixin, CreateView):
    pass


class ObjectUpdateView(ServiceFormMixin, UpdateView):
    pass


class ObjectDeleteView(RoleRequiredMixin, DeleteView):
    """Ask, then delete through the services (which keep what remains valid)."""

    required_role = Role.EDITOR

    def form_valid(self, form):
        target = self.object
        label = str(target)
        try:
            services.delete_object(obj=target)
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
            return HttpResponseRedirect(self.request.path)
        logger.info(
            "%s deleted %s %s", self.request.user, target._meta.model_name, label
        )
        messages.success(self.request, f"Deleted {label}.")
        return HttpResponseRedirect(self.get_success_url())
