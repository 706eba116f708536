"""The binding vocabulary of DOMAIN.md as enums; ids are used verbatim everywhere."""

from enum import StrEnum


class ElementId(StrEnum):
    """Potentially active elements (DOMAIN.md §1)."""

    mindfulness = "mindfulness"
    social_cognitive_training = "social_cognitive_training"
    social_support = "social_support"
    psychological_intervention = "psychological_intervention"
    social_activities = "social_activities"
    social_networks = "social_networks"
    psychoeducation = "psychoeducation"
    social_skills = "social_skills"
    skill_development = "skill_development"
    occupation = "occupation"
    meeting = "meeting"
    practical_support = "practical_support"
    meaningful_contact = "meaningful_contact"
    realistic_expectations = "realistic_expectations"
    meaningful_role = "meaningful_role"
    digital_technology = "digital_technology"
    befriending = "befriending"
    animal_assisted = "animal_assisted"
    leisure = "leisure"
    health_welfare_care = "health_welfare_care"
    detection_referral = "detection_referral"
    other = "other"


class Evidence(StrEnum):
    proven = "proven"
    potential = "potential"
    none = "none"


class Strength(StrEnum):
    """How a rule is grounded: stated in the literature, derived by the project, or expert view."""

    literature = "literature"
    derived = "derived"
    expert = "expert"


class ElementGroup(StrEnum):
    """Functional families of elements, used to build complementary combinations."""

    cognitive = "cognitive"
    relational = "relational"
    network = "network"
    skills = "skills"
    meaning = "meaning"
    care = "care"


class AgeGroup(StrEnum):
    """Age group of a person (intake)."""

    children = "children"
    youth = "youth"
    young_adults = "young_adults"
    adults = "adults"
    older = "older"


class TargetAgeGroup(StrEnum):
    """Age groups an initiative targets (DOMAIN.md §5)."""

    children = "children"
    youth = "youth"
    young_adults = "young_adults"
    adults = "adults"
    older = "older"
    all_ages = "all_ages"
    unknown = "unknown"


class ProblemNature(StrEnum):
    situational = "situational"
    structural = "structural"


class Coping(StrEnum):
    active = "active"
    passive = "passive"


class Course(StrEnum):
    transient = "transient"
    chronic = "chronic"


class CourseBasis(StrEnum):
    given = "given"
    duration = "duration"
    problem_nature = "problem_nature"


class Dimension(StrEnum):
    """Dimensions of loneliness a person can experience (intake)."""

    social = "social"
    emotional = "emotional"
    existential = "existential"
    collective = "collective"


class InitiativeDimension(StrEnum):
    """Dimensions an initiative addresses (DOMAIN.md §3)."""

    general = "general"
    social = "social"
    emotional = "emotional"
    existential = "existential"
    collective = "collective"
    social_isolation = "social_isolation"
    unknown = "unknown"


class RiskFactor(StrEnum):
    health_problems = "health_problems"
    poverty = "poverty"
    caregiver = "caregiver"
    older_age = "older_age"
    partner_loss = "partner_loss"
    physical_disability = "physical_disability"
    mental_disability = "mental_disability"
    small_network = "small_network"
    newcomer = "newcomer"
    psychological_vulnerability = "psychological_vulnerability"
    general_vulnerability = "general_vulnerability"
    living_alone = "living_alone"
    low_education = "low_education"
    no_partner = "no_partner"
    relationship_problems = "relationship_problems"
    low_perceived_control = "low_perceived_control"
    divorce = "divorce"
    lgbtq = "lgbtq"
    none = "none"
    other = "other"


class PreventionLevel(StrEnum):
    primary = "primary"
    secondary = "secondary"
    tertiary = "tertiary"
    unknown = "unknown"


class Approach(StrEnum):
    self_without_help = "self_without_help"
    self_with_support = "self_with_support"
    organised = "organised"


class EffectLadder(StrEnum):
    level0 = "0"
    level1 = "1"
    level2 = "2"
    level3 = "3"
    level4 = "4"
    unknown = "unknown"


class GeographicLevel(StrEnum):
    neighbourhood = "neighbourhood"
    local = "local"
    supralocal = "supralocal"
    flanders = "flanders"


class PrimaryActor(StrEnum):
    elz = "elz"
    caw = "caw"
    local_government = "local_government"
    welfare_care_org = "welfare_care_org"
    community_work = "community_work"
    health_insurer = "health_insurer"
    mental_health = "mental_health"
    overkop = "overkop"
    youth_work = "youth_work"
    education = "education"
    leisure = "leisure"
    community_health_centre = "community_health_centre"
    poverty_org = "poverty_org"
    other = "other"


class DjgAnswer(StrEnum):
    """Answer to one item of the De Jong Gierveld 6-item scale."""

    ja = "ja"
    min_of_meer = "min_of_meer"
    nee = "nee"


class DjgBand(StrEnum):
    """Cut-offs of the 6-item scale (de Jong Gierveld & van Tilburg 2006; manual 1999)."""

    not_lonely = "not_lonely"
    moderate = "moderate"
    severe = "severe"


class CrisisSign(StrEnum):
    """Safety signs the professional noticed; they trigger helpline signals first."""

    suicidal_thoughts = "suicidal_thoughts"
    acute_crisis = "acute_crisis"


# The classification of initiatives (DOMAIN.md §5 and the elements): column → its ids, in
# the order of DOMAIN.md. Shared by CSV exchange and the landscape.
INITIATIVE_FACETS: dict[str, type[StrEnum]] = {
    "elements": ElementId,
    "prevention_levels": PreventionLevel,
    "dimensions": InitiativeDimension,
    "age_groups": TargetAgeGroup,
    "risk_factors": RiskFactor,
    "geographic_level": GeographicLevel,
    "effect_ladder": EffectLadder,
    "primary_actor": PrimaryActor,
    "course": Course,
    "approach": Approach,
}
SINGLE_VALUED_FACETS = frozenset({"geographic_level", "effect_ladder", "primary_actor"})
