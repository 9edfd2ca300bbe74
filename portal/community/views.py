from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def my_family(request):
    return render(request, "community/my_family.html")


@login_required
def workbench(request):
    return render(request, "community/workbench.html")


def privacy_notice(request):
    return render(request, "community/privacy_notice.html")
