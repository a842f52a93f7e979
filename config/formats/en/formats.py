"""English as used in the UK and Europe (en-GB): day before month, 24-hour clock. Django's "en"
formats are American (03/02/2027, "2 p.m."), which our readers misread."""
from django.conf.locale.en_GB.formats import *  # noqa: F401,F403

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
