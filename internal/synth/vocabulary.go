package synth

import (
	"strings"
)

// The summaries are drawn word by word from a vocabulary with a Zipf
// distribution, so that full-text search meets the selectivity of real
// prose: function words appear in nearly every record, domain words in a
// few percent, and the long tail — names of people, hamlets, units — in a
// handful of records each. The vocabulary is fixed (it does not depend on
// the seed) so that a benchmark can pick terms by rank.

// englishWords are real words, most frequent first.
var englishWords = strings.Fields(`
the of and in a to was by were at on with from her their after during for that who had
they she he two three an into near when them men women armed forces soldiers night village
reported victims victim girls woman girl attack held camp house detained detention checkpoint
later told witnesses witness several others fighters uniform uniforms forced children boys
family families members group groups military police security local town market road
displaced fled home homes returned hospital medical clinic treatment injuries survivor survivors
sexual violence rape raped assault assaulted abducted abduction taken captivity released
threatened weapons gunpoint beaten beating stripped searched interrogated prison prisoners
cell cells guards commander commanders officer officers unit units brigade battalion base
operation operations area areas district province region border river bridge school church
mosque well water field fields farm farmers harvest firewood collecting walking travelling
vehicle vehicles truck trucks motorcycle convoy patrol patrols morning evening afternoon
days weeks months week month year following before between around about because although
husband mother father daughter son sister brother relatives neighbours community leaders
elders chief health worker workers nurse doctor humanitarian organisation organisations
monitors mission investigators interview interviews interviewed testimony account accounts
statement statements documented documentation verified corroborated information sources
report reports photographs video footage images evidence forensic examination records
displacement shelter shelters tents site sites settlement settlements refugees returnees
ethnic community communities targeted targeting punishment reprisal retaliation suspected
accused collaboration support supporting enemy opposition rebels militia militias gunmen
insurgents combatants recruits recruited training trained barracks headquarters compound
detainees interrogation facility facilities transfer transferred released release ransom
payment paid money food water bread salt cooking fuel clothes clothing shoes documents
identity card cards phone phones looted looting burned burning destroyed destruction houses
shops crops cattle goats livestock animals grazing herders herding pastoralists traders
students teachers pupils classroom classrooms orphanage orphans widows pregnant pregnancy
birth baby infant elderly disabled disability wounded killed death deaths body bodies
burial grave graves buried missing disappeared searching search searches raid raids
curfew arrests arrested detained arbitrary unlawful illegal violations abuses crimes
perpetrators perpetrator identified unidentified unknown recognised recognised insignia
language accent spoke speaking shouted insults threats ordered orders refused refusal
escape escaped hiding hid bush forest hills mountain mountains valley desert coast island
lake port airport station bus taxi boat crossing crossed line frontline front positions
`)

// arabicWords are common words of Arabic reports on the same themes.
var arabicWords = strings.Fields(`
في من على إلى عن مع بعد قبل خلال التي الذي كانت كان قوات مسلحة مسلحين جنود رجال نساء امرأة
فتاة فتيات أطفال طفل قرية مدينة منزل منازل سوق طريق حاجز تفتيش معسكر مخيم نازحين النازحين
اعتداء اغتصاب عنف جنسي جنسية اختطاف احتجاز سجن المحتجزين محتجزة ليلا صباحا مساء هجوم الهجوم
شهود شاهد شاهدة تقرير التقرير ضحية ضحايا الناجيات ناجية عائلة أسرة الزوج الأم الأب الابنة
الشرطة الأمن الجيش ميليشيا عناصر زي عسكري سلاح أسلحة تهديد ضرب تعذيب قسري قسرا الإفراج
مستشفى عيادة علاج إصابات طبي منظمة إنسانية بعثة المراقبين مقابلة شهادة توثيق معلومات مصادر
الحدود النهر المنطقة الولاية الإقليم المحلية السلطات القائد الضابط الكتيبة اللواء قاعدة
الماشية المزارعين الحقل الحطب الماء الطعام الأموال فدية هواتف نهب حرق تدمير المدارس
المدرسة الطالبات المعلمات الأرامل الحوامل المفقودين جثث دفن مقابر اعتقال اعتقالات تعسفي
الانتهاكات الجرائم الجناة مجهولين معروفين لغة لهجة صرخوا أوامر رفض هربت هرب اختبأت الغابة
الجبال الوادي الصحراء البحيرة المطار المحطة الحافلة سيارة شاحنة دراجة قافلة دورية دوريات
`)

// hebrewWords are common words of Hebrew reports on the same themes.
var hebrewWords = strings.Fields(`
של את על עם אל אחרי לפני במהלך אשר היה היו הם הן כוחות חמושים חיילים גברים נשים אישה נערה
נערות ילדים ילד כפר עיר בית בתים שוק כביש מחסום חיפוש מחנה עקורים תקיפה אונס אלימות מינית
חטיפה מעצר כלא עצורים עצירה בלילה בבוקר בערב מתקפה עדים עד עדה דוח קורבן קורבנות ניצולה
ניצולות משפחה בעל אם אב בת משטרה ביטחון צבא מחבלים מדים צבאי נשק איומים מכות עינויים בכפייה
שחרור בית חולים מרפאה טיפול פציעות רפואי ארגון משלחת ראיון עדות תיעוד מידע מקורות גבול
אזור מפקד קצין גדוד חטיבה בסיס שבי חטופים חטופות גופה גופות קבורה נעדרים ראיות צילומים
סרטון מחבל זוהו שפה פקודות ברחה ברח הסתתרה רכב משאית אופנוע שיירה סיור
`)

// syllables build the long tail of rare words: names of people, places and
// units that real records are full of.
var (
	onsets = strings.Fields(`b d f g h j k l m n p r s t v w y z sh ch th kh dh gb mb nd ng ny`)
	nuclei = strings.Fields(`a e i o u a a i o`)
	codas  = []string{"", "", "", "", "n", "r", "l", "s", "m", "k"}
)

// VocabularySize is how many distinct words summaries draw from.
const VocabularySize = 30000

// Vocabulary returns the English-script vocabulary, most frequent first;
// Vocabulary()[r] is the word of rank r. It is the same for every seed.
func Vocabulary() []string { return vocabulary }

var vocabulary = buildVocabulary(VocabularySize)

// ArabicVocabulary returns the Arabic words summaries draw from, most frequent first.
func ArabicVocabulary() []string { return arabicWords }

// HebrewVocabulary returns the Hebrew words summaries draw from, most frequent first.
func HebrewVocabulary() []string { return hebrewWords }

func buildVocabulary(n int) []string {
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for _, w := range englishWords {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	s := newRNG(0x5EED, 1)
	for len(out) < n {
		w := pseudoWord(s, 2+s.intn(3))
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func pseudoWord(s *rng, syllables int) string {
	var b strings.Builder
	for range syllables {
		b.WriteString(onsets[s.intn(len(onsets))])
		b.WriteString(nuclei[s.intn(len(nuclei))])
	}
	b.WriteString(codas[s.intn(len(codas))])
	return b.String()
}

func capitalize(w string) string {
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// text draws words for titles and summaries.
type text struct {
	english, arabic, hebrew zipf
}

func newText() text {
	return text{
		english: newZipf(len(vocabulary), 4),
		arabic:  newZipf(len(arabicWords), 3),
		hebrew:  newZipf(len(hebrewWords), 3),
	}
}

// sentences appends n sentences of Zipf-drawn words in the given script.
func (t text) sentences(b *strings.Builder, s *rng, script script, n int) {
	for range n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		words := s.between(6, 14)
		for j := range words {
			if j > 0 {
				b.WriteByte(' ')
			}
			var w string
			switch script {
			case arabicScript:
				w = arabicWords[t.arabic.draw(s)]
			case hebrewScript:
				w = hebrewWords[t.hebrew.draw(s)]
			default:
				w = vocabulary[t.english.draw(s)]
				if j == 0 {
					w = capitalize(w)
				}
			}
			b.WriteString(w)
		}
		b.WriteByte('.')
	}
}

type script int

const (
	latinScript script = iota
	arabicScript
	hebrewScript
)
