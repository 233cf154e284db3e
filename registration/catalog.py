"""Twilio's vocabularies for a business registration, with the labels our forms show.

The values are Trust Hub's (customer_profile_business_information, authorized_representative_1,
us_a2p_messaging_profile_information); see twilio.com/docs/trust-hub, "Create a Secondary
Customer Profile". Our own keys stay stable if Twilio renames a label.
"""

from __future__ import annotations

# Our business type -> (label, Trust Hub business_type). Sole proprietors are listed so the
# wizard can refuse them with the reason (eligibility.py); they never reach Twilio.
BUSINESS_TYPES: dict[str, tuple[str, str]] = {
    "corporation": ("Corporation (private or public company)", "Corporation"),
    "llc": ("Limited liability company (LLC)", "Limited Liability Corporation"),
    "partnership": ("Partnership", "Partnership"),
    "cooperative": ("Co-operative", "Co-operative"),
    "non_profit": ("Non-profit organization", "Non-profit Corporation"),
    "government": ("Government entity", "Corporation"),
    "sole_proprietorship": ("Sole proprietorship", "Sole Proprietorship"),
}
SOLE_PROPRIETORSHIP = "sole_proprietorship"

INDUSTRIES: dict[str, str] = {
    "AGRICULTURE": "Agriculture",
    "AUTOMOTIVE": "Automotive",
    "BANKING": "Banking",
    "CONSTRUCTION": "Construction",
    "CONSUMER": "Consumer",
    "EDUCATION": "Education",
    "ELECTRONICS": "Electronics",
    "ENERGY": "Energy",
    "ENGINEERING": "Engineering",
    "FAST_MOVING_CONSUMER_GOODS": "Fast-moving consumer goods",
    "FINANCIAL": "Financial",
    "FINTECH": "Fintech",
    "FOOD_AND_BEVERAGE": "Food and beverage",
    "GOVERNMENT": "Government",
    "HEALTHCARE": "Healthcare",
    "HOSPITALITY": "Hospitality",
    "INSURANCE": "Insurance",
    "JEWELRY": "Jewelry",
    "LEGAL": "Legal",
    "MANUFACTURING": "Manufacturing",
    "MEDIA": "Media",
    "NOT_FOR_PROFIT": "Not for profit",
    "OIL_AND_GAS": "Oil and gas",
    "ONLINE": "Online",
    "RAW_MATERIALS": "Raw materials",
    "REAL_ESTATE": "Real estate",
    "RELIGION": "Religion",
    "RETAIL": "Retail",
    "TECHNOLOGY": "Technology",
    "TELECOMMUNICATIONS": "Telecommunications",
    "TRANSPORTATION": "Transportation",
    "TRAVEL": "Travel",
}

REGIONS: dict[str, str] = {
    "USA_AND_CANADA": "USA and Canada",
    "LATIN_AMERICA": "Latin America",
    "EUROPE": "Europe",
    "AFRICA": "Africa",
    "ASIA": "Asia",
}

COMPANY_STATUSES: dict[str, str] = {"private": "Private", "public": "Public (listed)"}

STOCK_EXCHANGES: dict[str, str] = {
    "NASDAQ": "NASDAQ",
    "NYSE": "NYSE",
    "AMEX": "AMEX",
    "TSX": "Toronto (TSX)",
    "LON": "London (LSE)",
    "JPX": "Japan (JPX)",
    "SEHK": "Hong Kong (SEHK)",
    "FRA": "Frankfurt (FRA)",
    "ASX": "Australia (ASX)",
    "OTHER": "Other",
}

JOB_POSITIONS: dict[str, str] = {
    "Director": "Director",
    "GM": "General manager",
    "VP": "Vice president",
    "CEO": "CEO",
    "CFO": "CFO",
    "General Counsel": "General counsel",
    "Other": "Other",
}

# Business addresses we accept: the registration number's country decides its format.
COUNTRIES: dict[str, str] = {"US": "United States", "CA": "Canada"}
REGISTRATION_IDENTIFIERS = {"US": "EIN", "CA": "CBN"}

US_STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}

CA_PROVINCES: dict[str, str] = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "NT": "Northwest Territories",
    "NU": "Nunavut",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
    "YT": "Yukon",
}

# How consent is collected (the campaign's MessageFlow names them).
CONSENT_METHODS: dict[str, str] = {
    "website": "A form on our website",
    "checkout": "At online checkout",
    "in_person": "In person or on a paper form",
    "keyword": "The person texts a keyword to our number",
    "opt_in_page": "On our hosted opt-in page, confirmed by texting YES to our number",
    "phone_call": "Verbally, on a phone call",
}
# Methods that need the URL of the page where people opt in (the hosted opt-in page's is ours).
CONSENT_METHODS_WITH_URL = frozenset({"website", "checkout"})
# Methods where people text a keyword to opt in (the opt-in page's YES is one): the campaign
# must then declare OptInKeywords and OptInMessage.
CONSENT_METHODS_BY_KEYWORD = frozenset({"keyword", "opt_in_page"})


def choices(mapping: dict[str, str] | dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """Django choices from one of the mappings above."""
    return [
        (key, value[0] if isinstance(value, tuple) else value) for key, value in mapping.items()
    ]
