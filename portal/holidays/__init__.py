"""The official calendar the portal keeps: public holidays (法定节假日) and make-up working days (调休上班日).

The State Council publishes each year's arrangement in the preceding winter. The portal seeds the years
the ``chinesecalendar`` library knows and staff enter the years it does not know yet, so weekly sessions
are generated against data the portal holds rather than against a library that silently stops.
Festival dates on the lunar calendar and solar terms are computed (``portal.holidays.festivals``).
"""
