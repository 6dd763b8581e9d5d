"""Behaviour shared by the directory views."""


class HtmxPartialMixin:
    """Render ``partial_template_name`` alone when htmx asks for the page.

    The one place where a view chooses between its full page and the fragment
    that htmx swaps in.
    """

    partial_template_name = None

    def get_template_names(self):
        if self.partial_template_name and getattr(self.request, "htmx", False):
            return [self.partial_template_name]
        return super().get_template_names()
