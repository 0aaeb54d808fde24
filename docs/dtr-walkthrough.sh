#!/usr/bin/env bash
# The DTR walk-through of README.md and docs/dtr.md: CRD order-sign -> $questionnaire-package -> $populate ->
# $next-question ... -> completed, against `make run` (BASE overrides the address). Needs curl and jq. Run from the
# repository root; writes package.json and qr.json in the current folder.
set -e
BASE=${BASE:-http://127.0.0.1:8080}
S=${1:-centene-sotorasib-nsclc-no-kras-result-needs-info}
# 1. CRD: sign the order; keep its coverage-assertion-id
CONTEXT=$(curl -s -X POST $BASE/cds-services/crd-order-sign -H 'Content-Type: application/json' \
  --data @sample_bundles/$S.json \
  | jq -r '.systemActions[0].resource.extension[] | select(.url|endswith("ext-coverage-information"))
           | .extension[] | select(.url=="coverage-assertion-id") | .valueString')
ORDER=$(jq '.context.draftOrders.entry[0].resource' sample_bundles/$S.json)
RECORD=sample_bundles/records/$S.json
COVERAGE=$(jq '.entry[].resource | select(.resourceType=="Coverage")' $RECORD)
# 2. DTR: the questionnaire package for that assertion
jq -n --argjson cov "$COVERAGE" --argjson order "$ORDER" --arg ctx "$CONTEXT" \
  '{resourceType:"Parameters",parameter:[{name:"coverage",resource:$cov},{name:"order",resource:$order},{name:"context",valueString:$ctx}]}' \
  | curl -s -X POST $BASE/fhir/Questionnaire/\$questionnaire-package -H 'Content-Type: application/fhir+json' --data @- > package.json
jq '[.parameter[] | select(.name=="packagebundle") | .resource.entry[0].resource.meta.profile[0]]' package.json
# 3. $populate the standard form from the record
jq -n --slurpfile pkg package.json --argjson order "$ORDER" --slurpfile rec $RECORD \
  '{resourceType:"Parameters",parameter:[{name:"questionnaire-response",resource:$pkg[0].parameter[0].resource.entry[1].resource},
    {name:"order",resource:$order},{name:"record",resource:$rec[0]}]}' \
  | curl -s -X POST $BASE/fhir/Questionnaire/\$populate -H 'Content-Type: application/fhir+json' --data @- \
  | jq -c '.parameter[0].resource.item[] | {linkId, answer: .answer[0].valueBoolean}'
# 4. $next-question with the adaptive form until it completes, answering "yes" to each question
jq '.parameter[1].resource.entry[1].resource' package.json > qr.json
next() {
  jq -n --slurpfile qr qr.json --argjson order "$ORDER" --slurpfile rec $RECORD \
    '{resourceType:"Parameters",parameter:[{name:"questionnaire-response",resource:$qr[0]},
      {name:"order",resource:$order},{name:"record",resource:$rec[0]}]}' \
    | curl -s -X POST $BASE/fhir/Questionnaire/\$next-question -H 'Content-Type: application/fhir+json' --data @- \
    | jq '.parameter[0].resource' > qr.next && mv qr.next qr.json
  jq -c '{status, asked: [.contained[0].item[]?.linkId]}' qr.json
}
answer_yes() {  # the clinician answers the last question asked
  jq --arg id "$(jq -r '.contained[0].item[-1].linkId' qr.json)" '.item = ((.item // []) + [{linkId:$id, answer:[{valueBoolean:true,
    extension:[{url:"http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin",
      extension:[{url:"source",valueCode:"manual"},{url:"author",extension:[{url:"practitioner",valueReference:{reference:"Practitioner/role-onc-prac"}}]}]}]}]}])' \
    qr.json > qr.tmp && mv qr.tmp qr.json
}
next                   # asks I.A.4 (the KRAS G12C result the record lacks)
answer_yes; next       # asks issue-pa-number (DTR §spec-41)
answer_yes; next       # completed
jq -c '.extension[] | select(.url|endswith("ext-coverage-information")) | [.extension[] | select(.url=="covered" or .url=="pa-needed" or .url=="satisfied-pa-id" or .url=="expiry-date") | {(.url): (.valueCode // .valueString // .valueDate)}] | add' qr.json
