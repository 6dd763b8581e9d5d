"""REST API of this app: viewsets registered on the console's router."""

urlpatterns = []


def register(router):
    """Register this app's viewsets on the console's API router."""
